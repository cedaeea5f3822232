/**
 * Files of the `figures` commands: CSV text (numbers to 8 significant digits, integers as they
 * are, text quoted when it must be) and atomic writes (a temporary file renamed into place, so a
 * figure is never left half-written).
 */
import { renameSync, writeFileSync } from 'node:fs';

export function csv(header: string[], rows: Array<Array<string | number>>): string {
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(8)) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export function writeText(file: string, text: string): void {
  writeFileSync(`${file}.partial`, text);
  renameSync(`${file}.partial`, file);
}
