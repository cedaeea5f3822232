/**
 * The progress of a whole sweep, as one display: jobs done, running (with each one's slot
 * progress), failed, skipped, the rate and the ETA. A pure model fed by the coordinator's events
 * and a clock passed in; two views of it: plain lines (no TTY, CI, pipes) and the lines of the
 * live ink display (progress-view.tsx). Tested as exact text.
 *
 * ETA: jobs are counted as done plus the finished share of each running job; the rate is that
 * count over the wall time since the sweep started (skipped jobs excluded), and the ETA the
 * remaining count over the rate. Unknown ("–") until some progress is made.
 */
import type { JobProgress, JobResult } from './job.ts';

export interface RunningJob {
  id: string;
  label: string;
  worker: string;
  slotsDone: number;
  durationSlots: number;
}

export interface FinishedJob {
  label: string;
  worker?: string;
  status: JobResult['status'];
  wallS: number;
  error?: string;
  /** First metric's mean, for the line (e.g. "rc 6.381"). */
  headline?: string;
}

export interface ProgressView {
  name: string;
  total: number;
  skipped: number;
  completed: number;
  failed: number;
  interrupted: number;
  running: RunningJob[];
  elapsedS: number;
  /** Jobs per minute, and seconds left; null while unknown. */
  ratePerMin: number | null;
  etaS: number | null;
  /** 0 … 1 over every job (skipped count as done). */
  fraction: number;
  stopping: boolean;
}

export class SweepProgress {
  private readonly running = new Map<string, RunningJob>();
  private completed = 0;
  private failed = 0;
  private interrupted = 0;
  private stopping = false;
  private readonly t0: number;
  constructor(
    readonly name: string,
    readonly total: number,
    readonly skipped: number,
    private readonly nowMs: () => number,
  ) {
    this.t0 = nowMs();
  }
  start(id: string, label: string, worker: string): void {
    this.running.set(id, { id, label, worker, slotsDone: 0, durationSlots: 0 });
  }
  progress(id: string, p: JobProgress): void {
    const r = this.running.get(id);
    if (r) Object.assign(r, p);
  }
  /** Returns the finished line's data. */
  finish(id: string, label: string, r: JobResult): FinishedJob {
    this.running.delete(id);
    if (r.status === 'completed') this.completed++;
    else if (r.status === 'failed') this.failed++;
    else this.interrupted++;
    const m = r.metrics[0];
    return { label, worker: r.worker, status: r.status, wallS: r.wallS, error: r.error, headline: m && m.mean !== null ? `${m.metric} ${fmtNum(m.mean)}` : undefined };
  }
  stop(): void {
    this.stopping = true;
  }
  view(): ProgressView {
    const elapsedS = (this.nowMs() - this.t0) / 1000;
    const partial = [...this.running.values()].reduce((s, r) => s + (r.durationSlots ? r.slotsDone / r.durationSlots : 0), 0);
    const doneNow = this.completed + this.failed;
    const progressed = doneNow + partial;
    const remaining = this.total - this.skipped - progressed - this.interrupted;
    const rate = elapsedS > 0 && progressed > 0 ? progressed / elapsedS : null;
    return {
      name: this.name,
      total: this.total,
      skipped: this.skipped,
      completed: this.completed,
      failed: this.failed,
      interrupted: this.interrupted,
      running: [...this.running.values()],
      elapsedS,
      ratePerMin: rate === null ? null : rate * 60,
      etaS: rate === null ? null : Math.max(0, remaining) / rate,
      fraction: this.total ? Math.min(1, (this.skipped + progressed) / this.total) : 1,
      stopping: this.stopping,
    };
  }
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3);
}

/** `42 s`, `3 min 5 s`, `2 h 10 min`; `–` when unknown. */
export function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

/** `93/180 done (12 skipped) · 2 running · 1 failed · 4.1 jobs/min · ETA 4 min 10 s` */
export function statusLine(v: ProgressView): string {
  const done = v.skipped + v.completed + v.failed;
  const parts = [`${done}/${v.total} done${v.skipped ? ` (${v.skipped} skipped)` : ''}`, `${v.running.length} running`, `${v.failed} failed`];
  if (v.interrupted) parts.push(`${v.interrupted} interrupted`);
  parts.push(v.ratePerMin === null ? '– jobs/min' : `${v.ratePerMin.toFixed(v.ratePerMin >= 10 ? 0 : 1)} jobs/min`);
  parts.push(v.stopping ? 'stopping' : `ETA ${duration(v.etaS)}`);
  return parts.join(' · ');
}

/** One line for a finished job. */
export function finishedLine(f: FinishedJob, index: number, total: number): string {
  const n = String(total).length;
  const head = `[${String(index).padStart(n)}/${total}] ${f.status.padEnd(11)} ${f.label}`;
  const tail = f.status === 'completed' ? ` · ${f.wallS.toFixed(1)} s${f.headline ? ` · ${f.headline}` : ''}` : f.error ? ` · ${f.error}` : '';
  return `${head}${tail}${f.worker ? ` (${f.worker})` : ''}`;
}

/** `█████░░░░░ 52%` of `width` cells. */
export function bar(fraction: number, width: number): string {
  const cells = Math.max(1, width);
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * cells);
  return `${'█'.repeat(full)}${'░'.repeat(cells - full)} ${String(Math.floor(100 * fraction)).padStart(3)}%`;
}

function fit(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/** The live region of the ink display at `width` columns: header, bar, status, running jobs, keys. */
export function liveLines(v: ProgressView, header: string, width: number, maxRunning = 16): string[] {
  const w = Math.max(40, width);
  const lines = [fit(header, w), fit(`${bar(v.fraction, Math.min(40, w - 6))}  ${statusLine(v)}`, w)];
  const shown = v.running.slice(0, maxRunning);
  const workerW = Math.max(0, ...shown.map((r) => r.worker.length));
  for (const r of shown) {
    const pct = r.durationSlots ? `${String(Math.floor((100 * r.slotsDone) / r.durationSlots)).padStart(3)}%` : '   …';
    const left = `  ${r.worker.padEnd(workerW)}  `;
    lines.push(`${left}${fit(r.label, Math.max(10, w - left.length - 6)).padEnd(Math.max(10, w - left.length - 6))} ${pct}`.slice(0, w));
  }
  if (v.running.length > shown.length) lines.push(`  … and ${v.running.length - shown.length} more running`);
  lines.push(v.stopping ? 'stopping: the running jobs end as interrupted; run the same sweep again to resume' : 'q or Ctrl-C stops (finished jobs are kept; run the same sweep again to resume)');
  return lines;
}

/**
 * Plain progress: a line per finished job, and a status line at most every `everyS` seconds of
 * wall time (the first one once `everyS` has passed), and at the end.
 */
export function plainReporter(p: SweepProgress, write: (line: string) => void, nowMs: () => number, everyS = 10) {
  let lastMs = nowMs();
  let finished = 0;
  const status = (force = false) => {
    if (!force && nowMs() - lastMs < everyS * 1000) return;
    lastMs = nowMs();
    write(`  sweep ${p.name}: ${statusLine(p.view())}`);
  };
  return {
    finished(f: FinishedJob): void {
      finished++;
      write(`  ${finishedLine(f, p.skipped + finished, p.total)}`);
      status();
    },
    tick: () => status(),
    final: () => status(true),
  };
}
