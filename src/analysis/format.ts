/**
 * Plain-text rendering of analyses and comparisons for the terminal: aligned tables, numbers
 * with a fixed number of decimals, '–' where there is no value.
 */
import type { Analysis, MetricSummaries } from './analyze.ts';
import type { Comparison } from './compare.ts';
import type { Summary } from './stats.ts';
import { SWITCHED_OFF_SINR_DB } from './metrics.ts';

/** A number for a table: 4 decimals, exponent form when tiny or huge, '–' for none. */
export function fmt(x: number | null | undefined, decimals = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return x.toExponential(3);
  return x.toFixed(decimals);
}

/** A signed number (+/−) for differences. */
export function fmtSigned(x: number | null | undefined, decimals = 4): string {
  const s = fmt(x, decimals);
  return x !== null && x !== undefined && Number.isFinite(x) && x >= 0 ? `+${s}` : s;
}

export function fmtPercent(x: number | null | undefined, decimals = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(decimals)} %`;
}

/** Aligned text table; columns listed in `right` are right-aligned. */
export function textTable(headers: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const width = headers.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => (right.has(j) ? c.padStart(width[j]) : c.padEnd(width[j])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

const STAT_HEADERS = ['n', 'mean', 'p5', 'p50', 'p95', 'min', 'max'];

function statCells(s: Summary | null): string[] {
  if (!s) return ['0', '–', '–', '–', '–', '–', '–'];
  return [String(s.n), fmt(s.mean), fmt(s.p5), fmt(s.p50), fmt(s.p95), fmt(s.min), fmt(s.max)];
}

function metricRows(a: Analysis, head: string[], metrics: MetricSummaries, extra: Array<[string, string]> = []): string[][] {
  const rows: string[][] = [];
  Object.entries(metrics).forEach(([name, s], i) => {
    const def = a.metrics[name];
    const label = def.unit ? `${def.label} [${def.unit}]` : def.label;
    rows.push([...(i === 0 ? head : head.map(() => '')), label, ...statCells(s)]);
  });
  for (const [label, value] of extra) rows.push([...head.map(() => ''), label, value, '', '', '', '', '', '']);
  return rows;
}

/** The run header: scenario, policy, status, range. */
export function formatRunHeader(a: Analysis): string {
  const r = a.run;
  const shadows = r.shadows.length ? ` · shadows ${r.shadows.join(', ')}` : '';
  return [
    `run ${a.file}`,
    `  scenario  ${r.name} (${r.scenarioFile}) · seed ${r.seed} · policy ${r.policy}${shadows}${r.rho !== null ? ` · ρ ${r.rho}` : ''}`,
    `  status    ${r.stoppedUnexpectedly ? `running, but stopped unexpectedly (last update ${r.lastUpdate})` : r.status} · ${r.slotsDone} of ${r.durationSlots} slots done · logged every ${r.logEvery} slot${r.logEvery === 1 ? '' : 's'} · slot ${r.slotMs} ms`,
    `  network   ${r.numBs} BSs · ${r.numUsers} users · ${r.numTargets} targets`,
    `  written   isac-twin ${r.packageVersion} · backend ${r.backend} · started ${r.startedAt}${r.endedAt ? ` · ended ${r.endedAt}` : ''}`,
    ...(r.error ? [`  error     ${r.error}`] : []),
    `  range     slots ${a.range.fromSlot}–${a.range.toSlot} (${a.range.slots} logged slots, ${fmt(a.range.fromS, 3)}–${fmt(a.range.toS, 3)} s)`,
  ].join('\n');
}

/** The whole `analyze` output. */
export function formatAnalysis(a: Analysis): string {
  const right = new Set([3, 4, 5, 6, 7, 8, 9]);
  const rightBs = new Set([2, 3, 4, 5, 6, 7, 8]);
  const out = [formatRunHeader(a), ''];
  out.push('network, per policy (per logged slot)');
  out.push(
    textTable(
      ['policy', '', 'metric', ...STAT_HEADERS],
      a.policies.flatMap((p) => metricRows(a, [p.policy, p.role], p.metrics)),
      right,
    ),
  );
  out.push('', 'per BS');
  out.push(
    textTable(
      ['BS', 'metric', ...STAT_HEADERS],
      [
        ...a.bs.flatMap((b) => metricRows(a, [String(b.bs)], b.metrics, [['fallback share', fmtPercent(b.fallbackShare)]])),
        ...metricRows(a, ['all'], a.pooled.bs),
      ],
      rightBs,
    ),
  );
  const off = a.network.switchedOffUserSlots;
  out.push(
    '',
    `per user (outage: rate < ${a.outageRate} bit/s/Hz or switched off; network outage ${fmtPercent(a.network.outageShare)})` +
      (off ? `; ${off} user-slot${off === 1 ? '' : 's'} switched off (SINR 0 or < ${SWITCHED_OFF_SINR_DB} dB, no power on the stream: outage, not in the SINR statistics)` : ''),
  );
  out.push(
    textTable(
      ['user', 'BS', 'metric', ...STAT_HEADERS],
      [
        ...a.users.flatMap((u) => metricRows(a, [String(u.user), u.bs === null ? '–' : String(u.bs)], u.metrics, [['outage', fmtPercent(u.outageShare)]])),
        ...metricRows(a, ['all', ''], a.pooled.user, [['outage', fmtPercent(a.network.outageShare)]]),
      ],
      right,
    ),
  );
  out.push('', 'per target');
  out.push(
    textTable(
      ['target', 'BS', 'metric', ...STAT_HEADERS],
      [...a.targets.flatMap((t) => metricRows(a, [String(t.target), t.bs === null ? '–' : String(t.bs)], t.metrics)), ...metricRows(a, ['all', ''], a.pooled.target)],
      right,
    ),
  );
  if (a.network.csiAgeVsRate.length) {
    out.push('', 'CSI age vs rate (all users)');
    out.push(
      textTable(
        ['CSI age [slots]', 'user-slots', 'mean rate [bit/s/Hz]'],
        a.network.csiAgeVsRate.map((e) => [String(e.ageSlots), String(e.n), fmt(e.meanRate)]),
        new Set([0, 1, 2]),
      ),
    );
  }
  if (a.network.events.length) {
    out.push('', 'events');
    out.push(textTable(['kind', 'count'], a.network.events.map((e) => [e.kind, String(e.n)]), new Set([1])));
  }
  out.push('', 'percentiles: linear interpolation between order statistics (type 7, as NumPy/pandas); values read at 1e-6 bit/s/Hz (radar rates 1e-8), 1e-4 dB, 1 ns resolution');
  return out.join('\n');
}

/** Rows of the side-by-side table: label and value per analysis. */
export function sideBySideRows(c: Comparison): Array<[string, string[]]> {
  const A = c.analyses;
  const unit = (name: string) => {
    const d = A[0].metrics[name];
    return d.unit ? ` [${d.unit}]` : '';
  };
  const rows: Array<[string, string[]]> = [];
  const stat = (label: string, get: (a: Analysis) => Summary | null | undefined, fields: Array<keyof Summary>) => {
    for (const f of fields) rows.push([`${label} ${f}`, A.map((a) => fmt(get(a)?.[f] as number | undefined))]);
  };
  for (const name of ['rc', 'rs', 'objective']) stat(`${A[0].metrics[name].label}${unit(name)}`, (a) => a.policies[0].metrics[name], ['mean', 'p5', 'p50', 'p95']);
  stat(`user rate${unit('rate')}`, (a) => a.pooled.user.rate, ['mean', 'p5', 'p50']);
  rows.push([`outage (rate < ${A[0].outageRate})`, A.map((a) => fmtPercent(a.network.outageShare))]);
  stat(`user SINR${unit('sinr')}`, (a) => a.pooled.user.sinr, ['mean', 'p5']);
  stat(`CSI age${unit('csi_age')}`, (a) => a.pooled.user.csi_age, ['mean']);
  stat(`sensing SINR${unit('sens_sinr')}`, (a) => a.pooled.target.sens_sinr, ['mean', 'p5']);
  stat(`target radar rate${unit('radar_rate')}`, (a) => a.pooled.target.radar_rate, ['mean']);
  stat(`decision time${unit('decision_ms')}`, (a) => a.pooled.bs.decision_ms, ['mean', 'p95']);
  rows.push([
    'fallback share',
    A.map((a) => {
      const f = a.bs.map((b) => b.fallbackShare).filter((x): x is number => x !== null);
      return fmtPercent(f.length ? f.reduce((t, x) => t + x, 0) / f.length : null);
    }),
  ]);
  rows.push(['logged slots', A.map((a) => String(a.range.slots))]);
  return rows;
}

/** The whole `compare` output. */
export function formatComparison(c: Comparison): string {
  const A = c.analyses;
  const out: string[] = [`compare ${A.length} runs (baseline: ${c.labels[0]})`];
  out.push(
    textTable(
      ['', 'label', 'file', 'scenario', 'seed', 'policy', 'status', 'slots'],
      A.map((a, i) => [String.fromCharCode(65 + (i % 26)), c.labels[i], a.file, a.run.name, String(a.run.seed), a.run.policy, a.run.status, `${a.range.fromSlot}–${a.range.toSlot}`]),
    ),
  );
  out.push('', 'side by side');
  const rows = sideBySideRows(c);
  out.push(textTable(['metric', ...c.labels], rows.map(([l, v]) => [l, ...v]), new Set(c.labels.map((_l, i) => i + 1))));
  const level = `${Math.round(100 * c.confidence)} %`;
  for (const p of c.pairs) {
    const la = c.labels[p.a];
    const lb = c.labels[p.b];
    out.push('');
    out.push(
      p.paired
        ? `paired difference ${lb} − ${la} (${p.reason}; ${p.slotsA} common slots)`
        : `UNPAIRED difference ${lb} − ${la} (${p.reason}; ${p.slotsA} and ${p.slotsB} slots)`,
    );
    out.push(
      textTable(
        ['metric', `mean ${la}`, `mean ${lb}`, `${lb} − ${la}`, `${level} CI`, ...(p.paired ? ['i.i.d. CI ±'] : [])],
        Object.entries(p.metrics).map(([name, s]) => {
          const d = A[0].metrics[name];
          return [
            d.unit ? `${d.label} [${d.unit}]` : d.label,
            fmt(s.meanA),
            fmt(s.meanB),
            fmtSigned(s.diff),
            s.lo === null || s.hi === null ? '–' : `[${fmtSigned(s.lo)}, ${fmtSigned(s.hi)}]`,
            ...(p.paired ? [s.iidHalfWidth === null ? '–' : fmt(s.iidHalfWidth)] : []),
          ];
        }),
        new Set([1, 2, 3, 5]),
      ),
    );
    out.push(
      p.paired
        ? `  method: per-slot differences; CI = mean ± t(k−1) · s/√k over k = ${p.batches} non-overlapping batch means of ${p.batchSize} slots (slots are autocorrelated; the i.i.d. half-width is shown for contrast)`
        : `  method: Welch interval on k = ${p.batches} batch means per run (Welch–Satterthwaite df); channels differ, so the interval includes their variance`,
    );
  }
  return out.join('\n');
}
