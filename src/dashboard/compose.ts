/**
 * The dashboard screen as data: `composeScreen` turns a view snapshot, the screen-side state and
 * the terminal size into lines of styled segments, every line exactly `cols` characters wide.
 * Pure (tests read the text without rendering); App.tsx only maps segments to ink <Text>.
 *
 * Why segments: ink measures every text node's width on every frame, and a node holding any
 * character outside printable ASCII takes a slow path (grapheme segmentation) for its whole
 * text. Text is therefore ASCII wherever that costs nothing, and the graphics (braille map,
 * sparklines, bars, rules) sit in segments of their own, so the slow path only sees them. All
 * characters used are one column wide.
 */
import { bar, bits, duration, fit, num, pace, padLeft, range, sparkline } from './format.ts';
import { bsColor, mapFrame, renderMap } from './map.ts';
import { isCellFree, type BsView, type DashboardView, type LogLevel, type LogLine, type SensMetric } from './model.ts';
import { sensOf, type Layout, type Panel, type UiState } from './ui.ts';

export interface Seg {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}
export type Line = Seg[];

export const LEVEL_COLOR: Record<LogLevel, string | undefined> = { info: undefined, note: 'cyan', warn: 'yellow', error: 'red' };

const STATE_BADGE: Record<DashboardView['state'], [string, string]> = {
  starting: ['... starting', 'gray'],
  running: ['▶ running', 'green'],
  paused: ['‖ paused', 'yellow'],
  completed: ['✔ completed', 'green'],
  interrupted: ['■ interrupted', 'yellow'],
  failed: ['✖ failed', 'red'],
};

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** Total width of a line. */
export const lineWidth = (l: Line): number => l.reduce((w, s) => w + s.text.length, 0);

/** The text of a line without styles. */
export const lineText = (l: Line): string => l.map((s) => s.text).join('');

/** Cuts or pads a line to exactly `width`; merges neighbours of one style (ASCII and not kept apart). */
export function fitLine(l: Line, width: number): Line {
  const out: Line = [];
  let w = 0;
  for (const s of l) {
    if (w >= width) break;
    const text = w + s.text.length > width ? s.text.slice(0, width - w) : s.text;
    if (!text) continue;
    const prev = out[out.length - 1];
    if (prev && prev.color === s.color && prev.bold === s.bold && prev.dim === s.dim && isAscii(prev.text) === isAscii(text)) prev.text += text;
    else out.push({ ...s, text });
    w += text.length;
  }
  if (w < width) {
    const prev = out[out.length - 1];
    const pad = ' '.repeat(width - w);
    if (prev && !prev.color && !prev.bold && !prev.dim && isAscii(prev.text)) prev.text += pad;
    else out.push({ text: pad });
  }
  return out;
}

/** A panel title rule: `─ Label ──── extra ─`, heavy and coloured when focused. */
function title(label: string, extra: string, width: number, focused: boolean): Line {
  const rule = focused ? '━' : '─';
  const color = focused ? 'cyan' : 'gray';
  const tail = extra ? ` ${extra} ` : ' ';
  const fill = Math.max(1, width - 3 - label.length - tail.length - 1);
  return fitLine(
    [
      { text: `${rule} `, color, bold: focused },
      { text: label, color, bold: focused },
      { text: ' ', color },
      { text: rule.repeat(fill), color, bold: focused },
      { text: tail, color: 'gray' },
      { text: rule, color, bold: focused },
    ],
    width,
  );
}

function header(view: DashboardView, cols: number): Line[] {
  const i = view.info;
  const shadows = i.shadows.length ? ` (vs ${i.shadows.join(', ')})` : '';
  const [badge, badgeColor] = STATE_BADGE[view.state];
  const right = `${view.mode ? view.mode + '  ' : ''}`;
  const leftW = Math.max(0, cols - right.length - badge.length - 1);
  const line1 = fitLine(
    [
      { text: fit(`isac-twin | ${i.scenario} | ${i.policy}${shadows} | seed ${i.seed} | tfjs ${i.backend}`, leftW), bold: true },
      { text: ' ' + right },
      { text: badge, color: badgeColor, bold: true },
    ],
    cols,
  );
  const durS = (i.durationSlots * i.slotMs) / 1000;
  const rtf = Number.isFinite(view.realTimeFactor) ? `${num(view.realTimeFactor, view.realTimeFactor < 10 ? 2 : 0)}x` : '-';
  const eta = view.state === 'paused' ? 'paused' : duration(view.etaS);
  const head = `t ${num(view.simulatedS, 3)} / ${num(durS, 3)} s `;
  const tail = ` ${Math.floor(100 * view.fraction)}% | slot ${Math.max(0, view.slot)} | ${rtf} real time | pace ${pace(view.pace)} | ETA ${eta}`;
  const barW = Math.max(4, Math.min(30, cols - head.length - tail.length));
  const line2 = fitLine([{ text: head }, { text: bar(view.fraction, barW), color: 'green' }, { text: tail }], cols);
  return [line1, line2];
}

function mapPanel(view: DashboardView, width: number, height: number, ui: UiState): Line[] {
  const i = view.info;
  const rows = Math.max(0, height - 1);
  const cf = isCellFree(i);
  const area = cf ? i.area : undefined;
  const km = mapFrame(i.bsPosM, i.cellRadiusM, width, Math.max(1, rows), ui.zoom, area).widthM / 1000;
  const extra = cf ? `${i.numBs} APs, ${km.toFixed(1)} km wide` : `${km.toFixed(1)} km wide`;
  const lines: Line[] = [title('Map', extra, width, ui.focus === 'map')];
  // Users in the colour of their primary AP / serving BS of the latest slot (it changes with handovers).
  const userBs = view.users.length ? view.users.map((u) => u.bs) : i.userBs;
  const map = renderMap(
    {
      bsPosM: i.bsPosM,
      cellRadiusM: i.cellRadiusM,
      userPosM: view.userPosM,
      userBs,
      targetPosM: view.targetPosM,
      beamAzDeg: view.beamAzDeg,
      estPosM: view.locEstPosM,
      zoom: ui.zoom,
      ...(cf ? { cellFree: { area: i.area, cpuPosM: i.cpuPosM, links: true } } : {}),
    },
    width,
    rows,
  );
  for (const runs of map) lines.push(fitLine(runs, width));
  return lines;
}

const BLOCKS = ' ▁▂▃▄▅▆▇█';

/**
 * The transmit beampattern of AP `ui.pattern` (key b), in place of the map: P̄(θ) from −90° to 90°
 * as bars (the maximum of the grid points in each column), the desired pattern d(θ) as a red rule
 * at the unit level where the bars stay below it, the targets' columns marked on the axis.
 */
function patternPanel(view: DashboardView, width: number, height: number, ui: UiState, kind: 'run' | 'watch'): Line[] {
  const m = ui.pattern!;
  const bp = view.beampattern;
  const loss = bp && Number.isFinite(bp.lr[m]) ? `L_r ${num(bp.lr[m], 3)}` : 'L_r -';
  const lines: Line[] = [title(`Beampattern BS${m}`, bp ? `${loss} @slot ${view.beampatternSlot}` : 'b: next AP / map', width, ui.focus === 'map')];
  if (!bp) {
    const why =
      kind === 'watch'
        ? ['Beampatterns are drawn in live runs only: the database', 'keeps L_r, L_r,1, L_r,2 per AP (table beam_slots).']
        : ['This run does not measure beampatterns: add', '`sensing: { beampattern: {} }` to the scenario', '(docs/dashboard.md).'];
    for (const t of why) lines.push(fitLine([{ text: ` ${t}`, color: 'gray' }], width));
    return lines;
  }
  const L = bp.gridDeg.length;
  const P = bp.pattern.subarray(m * L, (m + 1) * L);
  const d = bp.desired.subarray(m * L, (m + 1) * L);
  const rows = Math.max(1, height - 3);
  const cols = Math.max(1, width);
  let peak = 0;
  for (let l = 0; l < L; l++) peak = Math.max(peak, P[l]);
  const top = Math.max(1.25, peak * 1.05);
  // Column c covers grid points [lo, hi).
  const colMax = new Float64Array(cols);
  const colDesired = new Uint8Array(cols);
  for (let c = 0; c < cols; c++) {
    const lo = Math.floor((c * L) / cols);
    const hi = Math.max(lo + 1, Math.floor(((c + 1) * L) / cols));
    for (let l = lo; l < hi && l < L; l++) {
      colMax[c] = Math.max(colMax[c], P[l]);
      if (d[l] > 0) colDesired[c] = 1;
    }
  }
  const unitRow = Math.min(rows - 1, Math.floor((1 / top) * rows));
  const color = bsColor(m);
  for (let k = rows - 1; k >= 0; k--) {
    const line: Line = [];
    for (let c = 0; c < cols; c++) {
      const eighths = Math.round((colMax[c] / top) * rows * 8) - 8 * k;
      const ch = eighths >= 8 ? BLOCKS[8] : eighths > 0 ? BLOCKS[eighths] : ' ';
      if (ch === ' ' && colDesired[c] && k === unitRow) line.push({ text: '─', color: 'red' });
      else line.push({ text: ch, color });
    }
    lines.push(fitLine(line, width));
  }
  const axis: Line = [];
  for (let c = 0; c < cols; c++) axis.push(colDesired[c] ? { text: '^', color: 'red', bold: true } : { text: '─', color: 'gray' });
  lines.push(fitLine(axis, width));
  const mid = Math.max(0, Math.floor(cols / 2) - 1);
  const labels = `-90°`.padEnd(mid) + '0°';
  lines.push(fitLine([{ text: labels.padEnd(Math.max(0, cols - 3)) + '90°', color: 'gray' }], width));
  return lines;
}

const SENS: Record<Exclude<SensMetric, 'crlb'>, { name: string; value: (b: BsView) => string }> = {
  sinr: { name: 'sens', value: (b) => `${num(b.sensSinrDb, 1)} dB` },
  rate: { name: 'radar', value: (b) => num(b.radarRate, 3) },
};
const SENS_NAME: Record<SensMetric, string> = { sinr: 'sens', rate: 'radar', crlb: 'CRLB' };

/**
 * Per BS: an info line (policy, power, beam), the sum-rate sparkline and the sensing sparkline
 * (SINR or radar rate), as space allows (3, 2 or 1 lines each). With CRLB chosen (localisation
 * runs), the BS keep their rate line and one line per localised target shows √C_{x,y}.
 */
function cellsPanel(view: DashboardView, width: number, height: number, ui: UiState, per: 1 | 2 | 3): Line[] {
  if (compactCells(view, height)) return apsPanel(view, width, height, ui);
  const metric = sensOf(ui, view.hasCrlb);
  const crlb = metric === 'crlb';
  const content = Math.max(0, height - 1);
  const locRows = crlb ? Math.min(view.loc.length, Math.max(0, content - view.bs.length)) : 0;
  // Lines per BS: the sensing line goes when CRLB is shown below instead.
  const perBs = crlb ? (per === 3 && 2 * view.bs.length + locRows <= content ? 2 : 1) : per;
  const fitBs = Math.max(1, Math.floor((content - locRows) / perBs));
  const first = Math.min(ui.scroll.cells, Math.max(0, view.bs.length - fitBs));
  const shown = view.bs.slice(first, first + fitBs);
  const valueW = 9;
  const twoSparks = !crlb && perBs === 1;
  const labelW = twoSparks ? 4 : 8;
  const sparkW = twoSparks ? Math.max(4, Math.floor((width - labelW - 2 * valueW - 1) / 2)) : Math.max(4, width - labelW - valueW);
  const [, rateHi] = range(
    view.bs.map((b) => b.series.sumRate),
    sparkW,
  );
  const sensKey = crlb ? 'sinr' : metric;
  const [sLo, sHi] = range(
    view.bs.map((b) => b.series[sensKey]),
    sparkW,
  );
  const sensLo = sensKey === 'rate' ? 0 : sLo;
  const more = view.bs.length > fitBs ? ` ${first + 1}-${first + shown.length}/${view.bs.length}` : '';
  const lines: Line[] = [
    title('Cells', `R_c ${num(view.rcMean, 2)}  R_s ${num(view.rsMean, 3)}  rate, ${SENS_NAME[metric]}${more}`, width, ui.focus === 'cells'),
  ];
  for (const b of shown) {
    const color = bsColor(b.bs);
    const rateSpark: Seg = { text: sparkline(b.series.sumRate, sparkW, 0, rateHi), color };
    if (perBs === 3 || (crlb && perBs === 2)) {
      const az = Number.isFinite(b.beamAzDeg) ? `${Math.round(b.beamAzDeg)} deg` : '-';
      lines.push(
        fitLine(
          [
            { text: `BS${b.bs}`, color, bold: true },
            { text: ` ${b.policy} | ${num(b.powerDbm, 1)} dBm | beam ${az}${Number.isFinite(b.lr) ? ` | L_r ${num(b.lr, 3)}` : ''}${Number.isFinite(b.mu) ? ` mu ${num(b.mu, 2)}` : ''}` },
            ...(b.fallback ? [{ text: '  FALLBACK', color: 'red', bold: true }] : []),
          ],
          width,
        ),
      );
    }
    const rateLabel = perBs === 3 || (crlb && perBs === 2) ? '  rate' : `BS${b.bs} rate`;
    if (!twoSparks) {
      lines.push(fitLine([{ text: fit(rateLabel, labelW), color: rateLabel.startsWith('BS') ? color : undefined }, rateSpark, { text: padLeft(num(b.sumRate, 2), valueW) }], width));
      if (!crlb && perBs >= 2) {
        const s = SENS[metric as 'sinr' | 'rate'];
        lines.push(fitLine([{ text: fit(`  ${s.name}`, labelW) }, { text: sparkline(b.series[sensKey], sparkW, sensLo, sHi), color }, { text: padLeft(s.value(b), valueW) }], width));
      }
    } else {
      const s = SENS[metric as 'sinr' | 'rate'];
      lines.push(
        fitLine(
          [
            { text: fit(`BS${b.bs}`, labelW), color, bold: true },
            rateSpark,
            { text: padLeft(num(b.sumRate, 2), valueW) + ' ' },
            { text: sparkline(b.series[sensKey], sparkW, sensLo, sHi), color },
            { text: padLeft(s.value(b), valueW) },
          ],
          width,
        ),
      );
    }
  }
  if (locRows) {
    const [lo, hi] = range(
      view.loc.map((l) => l.series),
      sparkW,
    );
    for (const l of view.loc.slice(0, locRows)) {
      lines.push(
        fitLine(
          [{ text: fit(`T${l.target} CRLB`, labelW) }, { text: sparkline(l.series, sparkW, lo, hi), color: 'red' }, { text: padLeft(`${num(l.rmseBoundM, 2)} m`, valueW) }],
          width,
        ),
      );
    }
  }
  return lines;
}

/**
 * The compact cells panel: cell-free networks, and multicell ones with more BSs than lines
 * (one line each). Aggregate rows first (network R_c and R_s with their sparklines, the
 * fronthaul bits per slot over all links and on the busiest link), then one line per AP for the
 * top APs ranked by the sum rate of the users whose primary AP it is (then fronthaul bits, then
 * power); ↑ ↓ scroll down the ranking.
 */
export function compactCells(view: DashboardView, height: number): boolean {
  return isCellFree(view.info) || view.bs.length > Math.max(1, height - 1);
}

/** BS / AP rows of the compact panel in ranking order (best first; ties by index). */
export function rankAps(bs: BsView[]): BsView[] {
  const key = (b: BsView) => [b.sumRate, b.fronthaulBits, b.powerDbm].map((x) => (Number.isFinite(x) ? x : -Infinity));
  return bs.slice().sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i] - ka[i];
    return a.bs - b.bs;
  });
}

/** Rows the compact panel keeps for the aggregates (title excluded). */
export const AGGREGATE_ROWS = 3;

function apsPanel(view: DashboardView, width: number, height: number, ui: UiState): Line[] {
  const cf = isCellFree(view.info);
  const unit = cf ? 'AP' : 'BS';
  const content = Math.max(0, height - 1);
  const aggRows = Math.min(AGGREGATE_ROWS, content);
  const k = Math.max(0, content - aggRows);
  const ranked = rankAps(view.bs);
  const first = Math.min(ui.scroll.cells, Math.max(0, ranked.length - k));
  const shown = ranked.slice(first, first + k);
  const n = view.bs.length;
  const more = shown.length < n ? ` top ${first + 1}-${first + shown.length}/${n} by rate` : ` ${n} ${unit}s`;
  const lines: Line[] = [title(cf ? 'APs' : 'Cells', `R_c ${num(view.rcMean, 2)}  R_s ${num(view.rsMean, 3)}${more}`, width, ui.focus === 'cells')];
  const net = view.net;
  // Aggregates: two sparklines side by side (R_c, R_s), then the fronthaul.
  const half = Math.floor((width - 1) / 2);
  const aggSpark = (label: string, series: number[], value: string, w: number, color: string): Line => {
    const sparkW = Math.max(4, w - label.length - value.length - 1);
    const [lo, hi] = range([series], sparkW);
    return [{ text: label, bold: true }, { text: sparkline(series, sparkW, Math.min(0, lo), hi), color }, { text: padLeft(value, w - label.length - sparkW) }];
  };
  const agg: Line[] = [
    fitLine([...aggSpark('net R_c ', net.rcSeries, num(view.rc, 2), half, 'green'), { text: ' ' }, ...aggSpark('R_s ', net.rsSeries, num(view.rs, 3), width - half - 1, 'red')], width),
    fitLine(
      [
        { text: 'FH/slot ', bold: true },
        { text: `total ${bits(net.fhTotalBits)}  max ${bits(net.fhMaxBits)}${net.fhMaxAp >= 0 ? ` (${unit}${net.fhMaxAp})` : ''}` },
      ],
      width,
    ),
  ];
  if (aggRows >= 3) {
    const tail = `  v${net.associationVersion} ho ${net.handovers}`;
    agg.push(fitLine(aggSpark('FH tot  ', net.fhSeries, tail, width, 'blue'), width));
  }
  lines.push(...agg.slice(0, aggRows));
  // One line per AP: label, sum-rate sparkline, rate, power, fronthaul bits, users with it as primary.
  const labelW = Math.max(5, `${unit}${n - 1}`.length + 1);
  const valW = 7 + 6 + 10 + 3;
  const sparkW = Math.max(4, width - labelW - valW);
  const [, rateHi] = range(
    view.bs.map((b) => b.series.sumRate),
    sparkW,
  );
  for (const b of shown) {
    const color = bsColor(b.bs);
    lines.push(
      fitLine(
        [
          { text: fit(`${unit}${b.bs}`, labelW), color, bold: true },
          { text: sparkline(b.series.sumRate, sparkW, 0, rateHi), color },
          { text: padLeft(num(b.sumRate, 2), 7) + padLeft(num(b.powerDbm, 1), 6) + padLeft(Number.isFinite(b.fronthaulBits) ? bits(b.fronthaulBits) : '-', 10) + padLeft(String(b.primaryUsers), 3) },
          ...(b.fallback ? [{ text: ' F', color: 'red', bold: true }] : []),
        ],
        width,
      ),
    );
  }
  return lines;
}

function usersPanel(view: DashboardView, width: number, height: number, ui: UiState): Line[] {
  const visible = Math.max(0, height - 2);
  const first = Math.min(ui.scroll.users, Math.max(0, view.users.length - visible));
  const shown = view.users.slice(first, first + visible);
  const count = view.users.length > visible ? `${first + 1}-${first + shown.length}/${view.users.length}` : `${view.users.length}`;
  const cf = isCellFree(view.info);
  // The primary AP / serving BS column: as wide as the largest index (2 for the usual sizes).
  const bsW = Math.max(2, String(view.info.numBs - 1).length);
  const head = `user  ${(cf ? 'AP' : 'BS').padEnd(bsW)}  SINR dB   rate  CSI age`;
  const ho = view.net.handovers ? `ho ${view.net.handovers}  ` : '';
  const lines: Line[] = [title('Users', ho + count, width, ui.focus === 'users'), fitLine([{ text: head, bold: true }], width)];
  for (const u of shown) {
    lines.push(
      fitLine(
        [
          { text: fit(`u${u.user}`, 6) },
          { text: fit(String(u.bs), bsW), color: bsColor(u.bs) },
          { text: padLeft(num(u.sinrDb, 1), 9) + padLeft(num(u.rate, 2), 7) + padLeft(u.csiAge < 0 ? '-' : String(u.csiAge), 9) },
        ],
        width,
      ),
    );
  }
  return lines;
}

/** Splits a log line at ', ' into display lines of at most `width` (continuations indented). */
export function wrapLogText(text: string, width: number): string[] {
  const parts = text.split(', ');
  const out: string[] = [];
  let cur = '';
  parts.forEach((p, k) => {
    const next = cur ? `${cur}, ${p}` : out.length ? `  ${p}` : p;
    // Room for the comma that ends the line when more parts follow.
    if (next.length + (k < parts.length - 1 ? 1 : 0) <= width || !cur) cur = next;
    else {
      out.push(cur + ',');
      cur = `  ${p}`;
    }
  });
  if (cur) out.push(cur);
  return out.map((l) => fit(l, width));
}

function eventsPanel(view: DashboardView, width: number, height: number, ui: UiState): Line[] {
  const visible = Math.max(0, height - 1);
  const all: LogLine[] = view.openLine ? [...view.log, view.openLine] : view.log;
  const back = Math.min(ui.scroll.events, Math.max(0, all.length - 1));
  const shown: Line[] = [];
  // From the newest entry (less `back`) upwards until the panel is full.
  for (let k = all.length - 1 - back; k >= 0 && shown.length < visible; k--) {
    const l = all[k];
    const wrapped = wrapLogText(l.text, width);
    const open = l === view.openLine;
    for (let j = wrapped.length - 1; j >= 0 && shown.length < visible; j--) {
      shown.unshift([{ text: wrapped[j], color: LEVEL_COLOR[l.level], dim: open && l.level === 'info' ? true : undefined }]);
    }
  }
  const windowS = (view.info.slotMs * view.logWindowSlots) / 1000;
  return [title('Events', back ? `${back} newer below` : `per ${num(windowS, windowS < 1 ? 2 : 0)} s`, width, ui.focus === 'events'), ...shown];
}

const HELP_RUN: Array<[string, string]> = [
  ['q', 'stop the run (it is kept and marked interrupted)'],
  ['p / space', 'pause / resume the simulation'],
  ['+ / -', 'pace: faster / slower (from "max" it switches to a paced speed)'],
  ['tab', 'next panel (shift-tab: previous)'],
  ['arrows, PgUp/PgDn', 'scroll the focused panel; on the map: zoom in / out'],
  ['s', 'sensing sparkline: SINR / radar rate / CRLB'],
  ['b', 'transmit beampattern of AP 0, 1, … in place of the map, then the map'],
  ['? / esc', 'this help / close it'],
];
const HELP_WATCH: Array<[string, string]> = [
  ['q', 'stop watching (the run itself is not touched)'],
  ['p / space', 'follow the live end / replay from the cursor / pause'],
  ['left / right', 'move the slot cursor (shift or [ ]: ten times further)'],
  ['home / end', 'first / last logged slot'],
  ['+ / -', 'replay pace'],
  ['tab', 'next panel (shift-tab: previous)'],
  ['up / down', 'scroll the focused panel; on the map: zoom in / out'],
  ['s', 'sensing sparkline: SINR / radar rate / CRLB'],
  ['b', 'beampattern panel (live runs; a database keeps L_r only)'],
  ['? / esc', 'this help / close it'],
];

function helpPanel(view: DashboardView, width: number, height: number, kind: 'run' | 'watch'): Line[] {
  const keys = kind === 'run' ? HELP_RUN : HELP_WATCH;
  const body: Line[] = [
    ...keys.map(([k, d]) => [{ text: `  ${k.padEnd(18)}`, bold: true }, { text: d }]),
    [],
    [{ text: '  Map: ' }, { text: '0 1 2', bold: true }, { text: ' BSs, ' }, { text: '•', bold: true }, { text: ' users (BS colour), ' }, { text: '✕', color: 'red', bold: true }, { text: ' targets, rays: main beams' }],
    [{ text: `  Sparklines: mean per ${view.bucketSlots} slots per character, one scale per metric;` }],
    [{ text: '  CRLB (localisation runs): RMSE bound sqrt(C_xy) per localised target, in m.' }],
    [{ text: '  Events: pilots, CSI reports, backhaul, decisions counted per window;' }],
    [{ text: '  deadline misses and warnings listed. CSI age: slots since the CSI behind the beam.' }],
  ];
  return [title('Help', 'esc closes', width, true), ...body.slice(0, Math.max(0, height - 1)).map((l) => fitLine(l, width))];
}

function footer(kind: 'run' | 'watch', cols: number, focus: Panel): Line {
  const keys =
    kind === 'run'
      ? 'q quit  p pause  +/- pace  tab focus  arrows scroll  s sensing  ? help'
      : 'q quit  p play/follow  left/right scrub  +/- pace  tab focus  ? help';
  return fitLine([{ text: `${keys}  [${focus}]`, color: 'gray' }], cols);
}

/** Pads a panel to `height` lines of `width`. */
function block(lines: Line[], width: number, height: number): Line[] {
  const out = lines.slice(0, height).map((l) => fitLine(l, width));
  while (out.length < height) out.push(fitLine([], width));
  return out;
}

/** Two panels side by side with a one-column gap. */
function beside(left: Line[], right: Line[]): Line[] {
  return left.map((l, k) => [...l, { text: ' ' }, ...(right[k] ?? [])]);
}

/** The whole live region: `L.lines` lines of `L.cols` characters. */
export function composeScreen(view: DashboardView, ui: UiState, L: Layout, kind: 'run' | 'watch'): Line[] {
  const lines: Line[] = header(view, L.cols);
  if (ui.help) {
    lines.push(...block(helpPanel(view, L.cols, L.topH + L.bottomH, kind), L.cols, L.topH + L.bottomH));
  } else {
    lines.push(
      ...beside(block(ui.pattern === undefined ? mapPanel(view, L.leftW, L.topH, ui) : patternPanel(view, L.leftW, L.topH, ui, kind), L.leftW, L.topH), block(cellsPanel(view, L.rightW, L.topH, ui, L.linesPerBs), L.rightW, L.topH)),
      ...beside(block(usersPanel(view, L.leftW, L.bottomH, ui), L.leftW, L.bottomH), block(eventsPanel(view, L.rightW, L.bottomH, ui), L.rightW, L.bottomH)),
    );
  }
  lines.push(footer(kind, L.cols, ui.focus));
  return lines.map((l) => fitLine(l, L.cols));
}
