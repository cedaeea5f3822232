/**
 * `isac-twin watch` without a TTY (or with --plain): progress lines read from the run database
 * until the run is no longer running. No ink, no React.
 */
import { RunReader } from './db-source.ts';
import { duration } from './format.ts';

/** Plain lines for a pipe: one per 2 s or 10 % of progress, until the run is no longer running. */
export async function watchPlain(file: string, opts: { pollMs?: number; write?: (line: string) => void } = {}): Promise<number> {
  const write = opts.write ?? ((l: string) => console.log(l));
  const reader = await RunReader.open(file);
  const info = reader.info;
  try {
    write(`watching ${file}: ${info.scenario} · policy ${info.policy} · seed ${info.seed} · ${info.durationSlots} slots`);
    let lastPct = -1;
    let lastT = -Infinity;
    const t0 = performance.now();
    for (;;) {
      const p = await reader.progress();
      const pct = Math.floor((100 * p.slotsDone) / Math.max(1, info.durationSlots));
      const t = (performance.now() - t0) / 1000;
      const final = p.status !== 'running' || p.stopped !== undefined;
      if (final || t - lastT >= 2 || Math.floor(pct / 10) !== Math.floor(lastPct / 10)) {
        if (p.slotsDone !== -1 && (pct !== lastPct || final)) {
          write(`  slot ${p.slotsDone}/${info.durationSlots} (${pct}%) · sim ${duration((p.slotsDone * info.slotMs) / 1000)} · ${p.stopped ?? p.status}`);
        }
        lastPct = pct;
        lastT = t;
      }
      if (final) {
        const [, last] = await reader.slotRange();
        write(`run ${p.stopped ?? p.status}: ${p.slotsDone} slots, last logged slot ${last}${p.error ? ` · error ${p.error}` : ''}`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
  } finally {
    await reader.close();
  }
}
