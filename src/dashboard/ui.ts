/**
 * Screen-side state of the dashboard (what the keys change that is not the run): focus, help,
 * scrolling, the sensing metric and the map zoom; and the layout of the panels for a terminal
 * size. Pure functions, tested without rendering.
 */
import { SENS_METRICS, type SensMetric } from './model.ts';

export const PANELS = ['map', 'cells', 'users', 'events'] as const;
export type Panel = (typeof PANELS)[number];

export interface UiState {
  focus: Panel;
  help: boolean;
  /** Lines scrolled per panel: users and cells from the top, events back from the newest. */
  scroll: Record<Panel, number>;
  /** Chosen sensing metric; undefined = automatic (CRLB when the run localises, else SINR). */
  sens: SensMetric | undefined;
  zoom: number;
  /** AP whose transmit beampattern replaces the map (key b cycles the APs, then back to the map); undefined = the map. */
  pattern: number | undefined;
}

/** The sensing metric in force. */
export const sensOf = (s: UiState, hasCrlb: boolean): SensMetric => s.sens ?? (hasCrlb ? 'crlb' : 'sinr');

export type UiAction =
  | { type: 'focus-next' }
  | { type: 'focus-prev' }
  | { type: 'help' }
  | { type: 'close-help' }
  | { type: 'scroll'; by: number }
  | { type: 'sens-next'; hasCrlb: boolean }
  | { type: 'pattern-next'; numBs: number };

export const initialUi: UiState = {
  focus: 'map',
  help: false,
  scroll: { map: 0, cells: 0, users: 0, events: 0 },
  sens: undefined,
  zoom: 1,
  pattern: undefined,
};

const ZOOMS = [0.5, 0.75, 1, 1.5, 2, 3, 4];

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'focus-next':
    case 'focus-prev': {
      const i = PANELS.indexOf(s.focus);
      const d = a.type === 'focus-next' ? 1 : PANELS.length - 1;
      return { ...s, focus: PANELS[(i + d) % PANELS.length] };
    }
    case 'help':
      return { ...s, help: !s.help };
    case 'close-help':
      return s.help ? { ...s, help: false } : s;
    case 'scroll': {
      if (s.focus === 'map') {
        // ↑ zooms in, ↓ zooms out.
        const i = ZOOMS.indexOf(s.zoom);
        const j = Math.min(ZOOMS.length - 1, Math.max(0, i - Math.sign(a.by)));
        return { ...s, zoom: ZOOMS[j] };
      }
      // Scrolling up moves the events panel back in time; it moves lists down.
      const by = s.focus === 'events' ? -a.by : a.by;
      return { ...s, scroll: { ...s.scroll, [s.focus]: Math.max(0, s.scroll[s.focus] + by) } };
    }
    case 'pattern-next': {
      const next = s.pattern === undefined ? 0 : s.pattern + 1;
      return { ...s, pattern: next < a.numBs ? next : undefined };
    }
    case 'sens-next': {
      const options = SENS_METRICS.filter((m) => m !== 'crlb' || a.hasCrlb);
      return { ...s, sens: options[(options.indexOf(sensOf(s, a.hasCrlb)) + 1) % options.length] };
    }
  }
}

/** Sizes (characters) of every region of the screen. */
export interface Layout {
  cols: number;
  /** Lines the live region may use (one less than the terminal, so ink never clears the screen). */
  lines: number;
  leftW: number;
  rightW: number;
  /** Heights of the top row (map | cells) and the bottom row (users | events), titles included. */
  topH: number;
  bottomH: number;
  /** Lines per BS in the cells panel: 3 (info, rate, sensing), 2 or 1. */
  linesPerBs: 1 | 2 | 3;
}

/** Header 2 lines, footer 1 line. */
const CHROME = 3;

export function layout(cols: number, rows: number, numBs: number): Layout {
  const c = Math.max(40, Math.floor(cols || 80));
  const lines = Math.max(12, Math.floor(rows || 24) - 1);
  const body = lines - CHROME;
  const topH = Math.min(body - 4, Math.max(6, Math.round(body * 0.6)));
  const bottomH = body - topH;
  const leftW = Math.min(64, Math.max(24, Math.round(c * 0.42)));
  const rightW = c - leftW - 1;
  const content = topH - 1;
  const linesPerBs = numBs * 3 <= content ? 3 : numBs * 2 <= content ? 2 : 1;
  return { cols: c, lines, leftW, rightW, topH, bottomH, linesPerBs };
}
