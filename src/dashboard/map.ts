/**
 * Top-down map of the network as coloured character runs: cell borders and beam rays drawn with
 * braille dots (2 × 4 dots per character, so dots are about square), BSs as their index digit,
 * users as • in their serving BS's colour, targets as ✕, localisation estimates as +. North is up, east is right; the view
 * is fixed on the cells (it does not follow the nodes) so it does not jump while they move.
 *
 * Cells are the pointy-top hexagons of `hexLayout` (circumradius R): a point belongs to its
 * nearest BS's cell when it lies inside that hexagon; a dot is a border when its neighbour to
 * the right or below belongs to another cell (or to none).
 *
 * A cell-free network has no cells: the map frames its deployment area, draws the square's
 * outline in braille dots, each AP as a small marker ▪ in its colour (no index: there may be
 * 64), the central processing unit as C, and each user's link to its primary AP as a dotted
 * line in that AP's colour (the user's • has the same colour). No beam rays there: every AP's
 * beams serve all users at once, a ray per AP would say little.
 */

export interface MapInput {
  /** [numBs, 2] (m). */
  bsPosM: ArrayLike<number>;
  cellRadiusM: number;
  /** [numUsers, 2] (m) and each user's serving BS. */
  userPosM: ArrayLike<number>;
  userBs: ArrayLike<number>;
  /** [numTargets, 2] (m). */
  targetPosM: ArrayLike<number>;
  /** [numBs] main beam azimuth, degrees from east counter-clockwise; NaN = no beam. */
  beamAzDeg: ArrayLike<number>;
  /** [n, 2] localisation estimates (m), drawn as + under the nodes (optional). */
  estPosM?: ArrayLike<number>;
  /** Zoom factor around the network centre (1 = all cells fit). */
  zoom?: number;
  /** A cell-free network: its area (framed and outlined instead of hexagons), CPU, user links. */
  cellFree?: { area?: MapArea; cpuPosM?: ArrayLike<number>; links?: boolean };
}

/** A rectangular deployment area (m): lower-left and upper-right corners. */
export interface MapArea {
  minM: ArrayLike<number>;
  maxM: ArrayLike<number>;
}

/** Marker of an AP in a cell-free map. */
export const AP_MARKER = '▪';

/** A run of characters with one style. `color` is an ink colour name. */
export interface MapRun {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

/** Colours of BS 0, 1, 2 … (cycled). */
export const BS_COLORS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red', 'white'] as const;
export const bsColor = (m: number): string => BS_COLORS[((m % BS_COLORS.length) + BS_COLORS.length) % BS_COLORS.length];

/** Braille bit of dot (dx ∈ {0, 1}, dy ∈ {0 … 3}) within a character. */
const BRAILLE_BIT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/** Geometry of the map on a `cols` × `rows` character grid. */
export interface MapFrame {
  cols: number;
  rows: number;
  /** Dots per metre and the world point at the grid centre. */
  dotsPerM: number;
  cx: number;
  cy: number;
  /** Width of the view (m). */
  widthM: number;
}

export function mapFrame(bsPosM: ArrayLike<number>, cellRadiusM: number, cols: number, rows: number, zoom = 1, area?: MapArea): MapFrame {
  const R = cellRadiusM;
  let x0 = area ? area.minM[0] : Infinity;
  let x1 = area ? area.maxM[0] : -Infinity;
  let y0 = area ? area.minM[1] : Infinity;
  let y1 = area ? area.maxM[1] : -Infinity;
  for (let m = 0; !area && 2 * m < bsPosM.length; m++) {
    x0 = Math.min(x0, bsPosM[2 * m] - (R * Math.sqrt(3)) / 2);
    x1 = Math.max(x1, bsPosM[2 * m] + (R * Math.sqrt(3)) / 2);
    y0 = Math.min(y0, bsPosM[2 * m + 1] - R);
    y1 = Math.max(y1, bsPosM[2 * m + 1] + R);
  }
  if (!(x1 > x0)) [x0, x1, y0, y1] = [-R, R, -R, R];
  // A small margin so the outer border is not on the edge.
  const w = (x1 - x0) * 1.04;
  const h = (y1 - y0) * 1.04;
  const dotsPerM = Math.min((2 * cols) / w, (4 * rows) / h) * Math.max(zoom, 1e-3);
  return { cols, rows, dotsPerM, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, widthM: (2 * cols) / dotsPerM };
}

/** Dot coordinates (may lie outside the grid) of a world point. */
function toDot(f: MapFrame, x: number, y: number): [number, number] {
  return [(x - f.cx) * f.dotsPerM + f.cols, f.rows * 2 - (y - f.cy) * f.dotsPerM];
}

/** Index of the cell containing (x, y), or −1 outside every cell. */
export function cellAt(bsPosM: ArrayLike<number>, R: number, x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let m = 0; 2 * m < bsPosM.length; m++) {
    const d = (x - bsPosM[2 * m]) ** 2 + (y - bsPosM[2 * m + 1]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = m;
    }
  }
  if (best < 0) return -1;
  const dx = x - bsPosM[2 * best];
  const dy = y - bsPosM[2 * best + 1];
  // Pointy-top hexagon: the apothem R·√3/2 along normals at 0°, 60°, 120°.
  const a = (R * Math.sqrt(3)) / 2;
  const inside = Math.abs(dx) <= a && Math.abs(0.5 * dx + 0.866025403784 * dy) <= a && Math.abs(-0.5 * dx + 0.866025403784 * dy) <= a;
  return inside ? best : -1;
}

const borderCache = new Map<string, Uint8Array>();

/** The area of a cell-free map: the one given, else the APs' bounding box widened by half their spacing. */
export function areaOf(input: MapInput): MapArea | undefined {
  const cf = input.cellFree;
  if (!cf) return undefined;
  if (cf.area) return cf.area;
  const p = input.bsPosM;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let m = 0; 2 * m < p.length; m++) {
    x0 = Math.min(x0, p[2 * m]);
    x1 = Math.max(x1, p[2 * m]);
    y0 = Math.min(y0, p[2 * m + 1]);
    y1 = Math.max(y1, p[2 * m + 1]);
  }
  if (!(x1 >= x0)) return { minM: [-input.cellRadiusM, -input.cellRadiusM], maxM: [input.cellRadiusM, input.cellRadiusM] };
  const pad = Math.max(1, Math.sqrt(((x1 - x0 + 1) * (y1 - y0 + 1)) / Math.max(1, p.length / 2)) / 2);
  return { minM: [x0 - pad, y0 - pad], maxM: [x1 + pad, y1 + pad] };
}

/** Braille bits of the cell borders (or of a cell-free area's outline) per character, cached per geometry and size. */
function borderBits(input: MapInput, f: MapFrame): Uint8Array {
  const area = areaOf(input);
  const at = area
    ? (x: number, y: number) => (x >= area.minM[0] && x <= area.maxM[0] && y >= area.minM[1] && y <= area.maxM[1] ? 0 : -1)
    : (x: number, y: number) => cellAt(input.bsPosM, input.cellRadiusM, x, y);
  const areaKey = area ? `area ${Array.from(area.minM).join(',')},${Array.from(area.maxM).join(',')}` : `${Array.from(input.bsPosM).join(',')}|${input.cellRadiusM}`;
  const key = `${areaKey}|${f.cols}x${f.rows}|${f.dotsPerM}|${f.cx},${f.cy}`;
  const hit = borderCache.get(key);
  if (hit) return hit;
  const W = 2 * f.cols;
  const H = 4 * f.rows;
  // Label of every dot, with one extra column and row for the neighbour test.
  const label = new Int16Array((W + 1) * (H + 1));
  for (let j = 0; j <= H; j++) {
    for (let i = 0; i <= W; i++) {
      const x = (i + 0.5 - f.cols) / f.dotsPerM + f.cx;
      const y = (f.rows * 2 - (j + 0.5)) / f.dotsPerM + f.cy;
      label[j * (W + 1) + i] = at(x, y);
    }
  }
  const bits = new Uint8Array(f.cols * f.rows);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const l = label[j * (W + 1) + i];
      const right = label[j * (W + 1) + i + 1];
      const down = label[(j + 1) * (W + 1) + i];
      if ((l !== right && (l >= 0 || right >= 0)) || (l !== down && (l >= 0 || down >= 0))) {
        bits[(j >> 2) * f.cols + (i >> 1)] |= BRAILLE_BIT[i & 1][j & 3];
      }
    }
  }
  if (borderCache.size > 32) borderCache.clear();
  borderCache.set(key, bits);
  return bits;
}

/**
 * Renders the map as `rows` lines of styled runs, each line exactly `cols` characters wide.
 */
export function renderMap(input: MapInput, cols: number, rows: number): MapRun[][] {
  if (cols <= 0 || rows <= 0) return [];
  const area = areaOf(input);
  const f = mapFrame(input.bsPosM, input.cellRadiusM, cols, rows, input.zoom, area);
  const border = borderBits(input, f);
  const beam = new Uint8Array(cols * rows);
  const beamOwner = new Int16Array(cols * rows).fill(-1);
  const glyph: Array<MapRun | undefined> = new Array(cols * rows);
  const R = input.cellRadiusM;
  const numBs = Math.floor(input.bsPosM.length / 2);

  const plot = (i: number, j: number, m: number) => {
    if (i < 0 || j < 0 || i >= 2 * cols || j >= 4 * rows) return;
    const c = (j >> 2) * cols + (i >> 1);
    beam[c] |= BRAILLE_BIT[i & 1][j & 3];
    beamOwner[c] = m;
  };
  const cf = input.cellFree;
  if (cf?.links) {
    // Each user's link to its primary AP: dots from the AP to the user, in the AP's colour.
    for (let u = 0; 2 * u + 1 < input.userPosM.length; u++) {
      const m = input.userBs[u];
      if (!(m >= 0 && m < numBs)) continue;
      const [i0, j0] = toDot(f, input.bsPosM[2 * m], input.bsPosM[2 * m + 1]);
      const [i1, j1] = toDot(f, input.userPosM[2 * u], input.userPosM[2 * u + 1]);
      const steps = Math.ceil(Math.max(Math.abs(i1 - i0), Math.abs(j1 - j0)));
      if (!Number.isFinite(steps)) continue;
      // Every other dot, so links read as dotted and lighter than the area's outline.
      for (let s = 1; s < steps; s += 2) plot(Math.floor(i0 + ((i1 - i0) * s) / steps), Math.floor(j0 + ((j1 - j0) * s) / steps), m);
    }
  }
  // Beam rays (multicell): from 0.12 R to 0.8 R along the main beam azimuth.
  for (let m = 0; !cf && m < numBs; m++) {
    const az = input.beamAzDeg[m];
    if (!Number.isFinite(az)) continue;
    const th = (az * Math.PI) / 180;
    const steps = Math.max(2, Math.ceil(0.8 * R * f.dotsPerM * 1.5));
    for (let s = 0; s <= steps; s++) {
      const d = R * (0.12 + (0.68 * s) / steps);
      const [i, j] = toDot(f, input.bsPosM[2 * m] + d * Math.cos(th), input.bsPosM[2 * m + 1] + d * Math.sin(th));
      plot(Math.floor(i), Math.floor(j), m);
    }
  }
  const place = (x: number, y: number, run: MapRun) => {
    const [i, j] = toDot(f, x, y);
    const ci = Math.floor(i / 2);
    const cj = Math.floor(j / 4);
    if (ci < 0 || cj < 0 || ci >= cols || cj >= rows || !Number.isFinite(ci + cj)) return;
    glyph[cj * cols + ci] = run;
  };
  const est = input.estPosM ?? [];
  for (let i = 0; 2 * i + 1 < est.length; i++) place(est[2 * i], est[2 * i + 1], { text: '+', color: 'yellow', bold: true });
  for (let i = 0; 2 * i < input.targetPosM.length; i++) place(input.targetPosM[2 * i], input.targetPosM[2 * i + 1], { text: '✕', color: 'red', bold: true });
  for (let u = 0; 2 * u < input.userPosM.length; u++) place(input.userPosM[2 * u], input.userPosM[2 * u + 1], { text: '•', color: bsColor(input.userBs[u]), bold: true });
  if (cf) {
    // APs under the nodes (a user standing next to its AP stays visible), the CPU on top.
    const apGlyphs: Array<[number, number, MapRun]> = [];
    for (let m = 0; m < numBs; m++) apGlyphs.push([input.bsPosM[2 * m], input.bsPosM[2 * m + 1], { text: AP_MARKER, color: bsColor(m) }]);
    const nodes = glyph.slice();
    for (const [x, y, run] of apGlyphs) place(x, y, run);
    nodes.forEach((g, k) => {
      if (g) glyph[k] = g;
    });
    if (cf.cpuPosM && cf.cpuPosM.length >= 2) place(cf.cpuPosM[0], cf.cpuPosM[1], { text: 'C', color: 'white', bold: true });
  } else {
    for (let m = 0; m < numBs; m++) place(input.bsPosM[2 * m], input.bsPosM[2 * m + 1], { text: String(m % 10), color: bsColor(m), bold: true });
  }

  const lines: MapRun[][] = [];
  for (let r = 0; r < rows; r++) {
    const line: MapRun[] = [];
    const push = (ch: string, style: Omit<MapRun, 'text'>) => {
      const prev = line[line.length - 1];
      if (prev && prev.color === style.color && prev.bold === style.bold && prev.dim === style.dim) prev.text += ch;
      else line.push({ text: ch, ...style });
    };
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      const g = glyph[k];
      if (g) push(g.text, { color: g.color, bold: g.bold, dim: g.dim });
      else if (beam[k]) push(String.fromCharCode(0x2800 + (beam[k] | border[k])), { color: bsColor(beamOwner[k]), bold: undefined, dim: undefined });
      else if (border[k]) push(String.fromCharCode(0x2800 + border[k]), { color: 'gray', bold: undefined, dim: undefined });
      else push(' ', { color: undefined, bold: undefined, dim: undefined });
    }
    lines.push(line);
  }
  return lines;
}

/** The map as plain text (tests, plain output). */
export function mapText(input: MapInput, cols: number, rows: number): string[] {
  return renderMap(input, cols, rows).map((line) => line.map((r) => r.text).join(''));
}
