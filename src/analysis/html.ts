/**
 * The HTML page shell shared by `isac-twin report` (runs) and the sweep report: one
 * self-contained page, no scripts and no external URLs, SVG figures inlined.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Inline SVG: the namespace attributes are implied in HTML and would be the page's only URLs. */
export function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '').replace(/\s+version="1\.1"/, '');
}

/** A `key: value` table in the page's meta style. */
export function metaTable(rows: Array<[string, string]>): string {
  return `<table class="meta">\n${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</table>`;
}

const css = (maxWidthPx: number, tableFontEm: number) => `
body { font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; max-width: ${maxWidthPx}px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.4em; font-size: 1.05em; } .sub { color: #555; font-weight: normal; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: ${tableFontEm}em; } th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #eee; text-align: left; }
thead th { border-bottom: 2px solid #bbb; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.meta th { color: #555; font-weight: normal; } .note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }`;

export interface PageOptions {
  title: string;
  /** HTML between the title and the notes (already escaped). */
  intro: string;
  /** Shown as highlighted notes (plain text). */
  notes: string[];
  /** The page's sections (HTML). */
  body: string;
  /** Footer HTML (already escaped). */
  footer: string;
  maxWidthPx: number;
  tableFontEm: number;
}

export function htmlPage(o: PageOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<style>${css(o.maxWidthPx, o.tableFontEm)}
</style>
</head>
<body>
<h1>${escapeHtml(o.title)}</h1>
${o.intro}
${o.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${o.body}
<footer>${o.footer}</footer>
</body>
</html>
`;
}
