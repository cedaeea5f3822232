/**
 * Small pure text helpers of the dashboard: numbers, durations, bars and sparklines. Every
 * function returns a string of exactly the width asked for where it takes one, so panels can be
 * laid out by counting characters.
 */

const SPARK = '▁▂▃▄▅▆▇█';

/** Right-aligns `s` in `width` columns (cuts from the left when too long). */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s.slice(s.length - width) : ' '.repeat(width - s.length) + s;
}

/** Left-aligns `s` in `width` columns (cuts with … when too long). */
export function fit(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s + ' '.repeat(width - s.length);
  return width === 1 ? '…' : s.slice(0, width - 1) + '…';
}

/** A number with `digits` decimals, or '–' when not finite. */
export function num(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/** 10·log10 of a linear power ratio; NaN for x ≤ 0 or not finite. */
export function toDb(x: number): number {
  return x > 0 && Number.isFinite(x) ? 10 * Math.log10(x) : NaN;
}

/** Seconds as '4.2 s', '3m05s', '2h01m'; '–' when not finite. */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Simulated-time pace: 'max' for as fast as possible, '-' when unknown, else '0.5x', '10x'. */
export function pace(speed: number | undefined | null): string {
  if (speed === null) return '-';
  if (speed === undefined) return 'max';
  return `${speed >= 1 ? String(+speed.toFixed(1)) : String(+speed.toPrecision(2))}x`;
}

/** A progress bar of `width` cells for a fraction in [0, 1]. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * width);
  const half = f * width - full >= 0.5 && full < width ? 1 : 0;
  return '█'.repeat(full) + (half ? '▌' : '') + '░'.repeat(width - full - half);
}

/**
 * A sparkline of the last `width` values (right-aligned: the newest is the last character).
 * Values map linearly from [lo, hi] to ▁…█; NaN draws a blank; a flat range draws mid-height.
 */
export function sparkline(values: ArrayLike<number>, width: number, lo: number, hi: number): string {
  let out = '';
  const n = values.length;
  for (let i = 0; i < width; i++) {
    const k = n - width + i;
    const v = k >= 0 ? values[k] : NaN;
    if (!Number.isFinite(v)) {
      out += ' ';
      continue;
    }
    if (!(hi > lo)) {
      out += SPARK[3];
      continue;
    }
    const level = Math.round(((v - lo) / (hi - lo)) * (SPARK.length - 1));
    out += SPARK[Math.min(SPARK.length - 1, Math.max(0, level))];
  }
  return out;
}

/** [min, max] of the finite entries of the last `width` values of every series ([NaN, NaN] if none). */
export function range(series: ArrayLike<number>[], width: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let k = Math.max(0, s.length - width); k < s.length; k++) {
      const v = s[k];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

/** A number of bits with an SI prefix: `850 bit`, `12.3 kbit`, `4.56 Mbit` ('-' when not finite). */
export function bits(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a < 1e3) return `${Math.round(x)} bit`;
  const [d, u] = a < 1e6 ? [1e3, 'k'] : a < 1e9 ? [1e6, 'M'] : [1e9, 'G'];
  const v = x / d;
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)} ${u}bit`;
}

/** A bit rate (bit/s) with an SI prefix: `12.3 Mbit/s`. */
export const bitRate = (bitsPerS: number): string => `${bits(bitsPerS)}/s`;
