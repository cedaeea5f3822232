/**
 * Mobility of users and targets. A `Population` holds the positions of n nodes and moves them by
 * `step(dtS)` according to one mobility model. All randomness comes from the injected stream.
 * Positions are metres in the world frame.
 *
 * Two kinds of bounds (docs/mobility.md):
 * - multicell: node i is bound to the annulus rMin ≤ |p − c| ≤ rMax around its cell's BS c
 *   (`cellOf[i]`); rMin, rMax come from the placement (uniform-in-cell minDistanceM /
 *   maxDistanceM, default the cell radius; other placements: 0 and the cell radius).
 * - cell-free (`geometry.area` set): every node is free in the square area, at least
 *   dMin = minApDistanceM from every AP; with `wrap` the area is a torus (distances to the nearest
 *   image of each AP, positions wrapped into the square).
 * Random-waypoint legs and constant-velocity reflections keep these bounds for the whole run.
 */
import type { MobilitySpec, PlacementSpec } from '../scenario/schema.ts';
import type { Rng } from './random.ts';

/** An axis-aligned deployment area, optionally wrapped around (torus). World frame, metres. */
export interface WrapArea {
  minM: [number, number];
  maxM: [number, number];
  /** Torus: leaving at x = max re-enters at x = min (same for y); distances to the nearest image. */
  wrap: boolean;
}

/** A cell-free deployment area and its APs. */
export interface PopulationArea extends WrapArea {
  /** [numAps, 2] AP positions (m, world frame). */
  apPosM: Float64Array;
  /** dMin: nodes keep at least this distance from every AP (on the torus: from its nearest image). */
  minApDistanceM: number;
}

export interface PopulationGeometry {
  /** [numCells, 2] BS / cell centre positions (multicell; unused for bounds when `area` is set). */
  cellCentresM: Float64Array;
  cellRadiusM: number;
  /** Cell-free: nodes are bound to this area instead of their cell (cellOf is then ignored for bounds). */
  area?: PopulationArea;
}

/**
 * Placement of the cell-free area: uniform in the square, at least dMin from every AP. dMin is
 * `minDistanceM` when given, else `geometry.area.minApDistanceM`.
 */
export type AreaPlacementSpec = { model: 'uniform-in-area'; minDistanceM?: number };

/** Proposals per random-waypoint leg before the fallback (see `newLeg`). */
export const LEG_TRIES = 64;
/** Proposals per uniform-in-area placement before the fallback (the candidate farthest from every AP). */
export const PLACE_TRIES = 1000;
/** Slack (m) of the outer-bound test on proposed waypoints (rounding of centre + r·(cos, sin)). */
const OUTER_SLACK_M = 1e-10;

/** d wrapped into [−period/2, period/2] (the shortest image). */
const wrap1 = (d: number, period: number): number => (period > 0 ? d - period * Math.round(d / period) : d);

/**
 * The shortest image of the difference vector (dx, dy) on the torus of `area` (unchanged when the
 * area is absent or does not wrap).
 */
export function wrappedDelta(area: WrapArea | undefined, dx: number, dy: number): [number, number] {
  if (!area?.wrap) return [dx, dy];
  return [wrap1(dx, area.maxM[0] - area.minM[0]), wrap1(dy, area.maxM[1] - area.minM[1])];
}

/** Distance a → b on the torus of `area` (the nearest image); Euclidean when it does not wrap. */
export function torusDistance(area: WrapArea | undefined, ax: number, ay: number, bx: number, by: number): number {
  const [dx, dy] = wrappedDelta(area, ax - bx, ay - by);
  return Math.hypot(dx, dy);
}

/**
 * Per-node displacement of the last step, `out[2i..2i+1] = posM − prevPosM`, unwrapped on the
 * torus (a node that crossed the wrap edge moved a small distance, not the width of the area).
 * Assumes no node moves half the area's side in one step. Returns `out`.
 */
export function displacementInto(out: Float64Array, prevPosM: Float64Array, posM: Float64Array, area?: WrapArea): Float64Array {
  const wrap = area?.wrap === true;
  const w = wrap ? area.maxM[0] - area.minM[0] : 0;
  const h = wrap ? area.maxM[1] - area.minM[1] : 0;
  for (let k = 0; k < posM.length; k += 2) {
    const dx = posM[k] - prevPosM[k];
    const dy = posM[k + 1] - prevPosM[k + 1];
    out[k] = wrap ? wrap1(dx, w) : dx;
    out[k + 1] = wrap ? wrap1(dy, h) : dy;
  }
  return out;
}

/**
 * First parameter t ∈ [0, 1] at which the segment p + t·(dx, dy) enters the open disc of radius r
 * around c; Infinity if it never does. A segment that starts inside or on the circle "enters" at
 * t = 0 when it heads inwards and never when it heads outwards or along the tangent (so a node
 * on the boundary, up to rounding, can always leave it).
 */
function entryT(px: number, py: number, dx: number, dy: number, cx: number, cy: number, r: number): number {
  const a = dx * dx + dy * dy;
  if (a === 0) return Infinity;
  const fx = px - cx;
  const fy = py - cy;
  const b = dx * fx + dy * fy;
  const c = fx * fx + fy * fy - r * r;
  if (c <= 0) return b < 0 ? 0 : Infinity;
  if (b >= 0) return Infinity;
  const disc = b * b - a * c;
  if (disc <= 0) return Infinity;
  const t = (-b - Math.sqrt(disc)) / a;
  return t <= 1 ? t : Infinity;
}

type Leg = { toX: number; toY: number; speed: number; pauseLeftS: number };
type AnyPlacement = PlacementSpec | AreaPlacementSpec;

export class Population {
  /** [n, 2] current positions (m). */
  readonly posM: Float64Array;
  /** [n, 2] positions before the last `step` (equal to posM before the first). */
  readonly prevPosM: Float64Array;
  /** [n, 2] current velocities (m/s). */
  readonly velMps: Float64Array;
  /** Multicell bounds: inner and outer radius around the node's BS (unused when `area` is set). */
  readonly minDistanceM: number;
  readonly maxDistanceM: number;
  /** Cell-free: dMin, the distance every node keeps from every AP (0 without an area). */
  readonly minApDistanceM: number;
  private readonly legs: Leg[] = [];
  /** Per node: index of the next waypoint (waypoints) or the arc length along the road (lane). */
  private readonly progress: Float64Array;
  private readonly sign: Float64Array;
  private readonly road: { pts: Float64Array; cum: Float64Array; length: number }[] = [];
  /**
   * Cell-free: centres of the forbidden discs (radius dMin) as [k, 2]: every AP and, on the
   * torus, those of its 8 images that reach into the square.
   */
  private readonly apDiscs: Float64Array;

  constructor(
    readonly cellOf: Int32Array,
    private readonly geo: PopulationGeometry,
    private readonly mobility: MobilitySpec,
    placement: AnyPlacement,
    private readonly rng: Rng,
  ) {
    const n = cellOf.length;
    this.posM = new Float64Array(2 * n);
    this.velMps = new Float64Array(2 * n);
    this.progress = new Float64Array(n);
    this.sign = new Float64Array(n).fill(1);
    const area = geo.area;
    if (placement.model === 'uniform-in-area' && !area) throw new Error('placement "uniform-in-area" needs a cell-free area (geometry.area)');
    // In a cell-free area the area is the cell: a uniform-in-cell placement means uniform-in-area,
    // its minDistanceM the clearance from every AP.
    const inArea = area !== undefined && (placement.model === 'uniform-in-area' || placement.model === 'uniform-in-cell');
    if (placement.model === 'uniform-in-cell' && !area) {
      this.minDistanceM = placement.minDistanceM;
      this.maxDistanceM = placement.maxDistanceM ?? geo.cellRadiusM;
    } else {
      this.minDistanceM = 0;
      this.maxDistanceM = geo.cellRadiusM;
    }
    this.minApDistanceM = !area ? 0 : inArea && placement.minDistanceM !== undefined ? placement.minDistanceM : area.minApDistanceM;
    this.apDiscs = area ? forbiddenDiscs(area, this.minApDistanceM) : new Float64Array(0);
    for (let i = 0; i < n; i++) this.place(i, placement);
    for (let i = 0; i < n; i++) this.initMotion(i);
    this.prevPosM = Float64Array.from(this.posM);
  }

  get size(): number {
    return this.cellOf.length;
  }

  /** The cell-free area the nodes are bound to (undefined: multicell). */
  get area(): PopulationArea | undefined {
    return this.geo.area;
  }

  /** Speed (m/s) of node i. */
  speed(i: number): number {
    return Math.hypot(this.velMps[2 * i], this.velMps[2 * i + 1]);
  }

  /** Shortest image of (dx, dy) on this population's torus (unchanged unless the area wraps). */
  wrappedDelta(dx: number, dy: number): [number, number] {
    return wrappedDelta(this.geo.area, dx, dy);
  }

  /** Distance a → b on this population's torus (Euclidean unless the area wraps). */
  torusDistance(ax: number, ay: number, bx: number, by: number): number {
    return torusDistance(this.geo.area, ax, ay, bx, by);
  }

  /** Displacement of every node in the last step (unwrapped on the torus), into out ([n, 2]). */
  displacementInto(out: Float64Array): Float64Array {
    return displacementInto(out, this.prevPosM, this.posM, this.geo.area);
  }

  /** Frame origin of node i: its cell's BS; in a cell-free area the centre of the area. */
  private centre(i: number): [number, number] {
    const a = this.geo.area;
    if (a) return [(a.minM[0] + a.maxM[0]) / 2, (a.minM[1] + a.maxM[1]) / 2];
    const c = this.cellOf[i];
    return [this.geo.cellCentresM[2 * c], this.geo.cellCentresM[2 * c + 1]];
  }

  private uniformInDisc(i: number, rMin: number, rMax: number): [number, number] {
    const [cx, cy] = this.centre(i);
    // Uniform in the annulus rMin ≤ r ≤ rMax: r² uniform.
    const r = Math.sqrt(this.rng.between(rMin * rMin, rMax * rMax));
    const a = this.rng.between(0, 2 * Math.PI);
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  }

  private uniformInArea(): [number, number] {
    const { minM, maxM } = this.geo.area!;
    const x = this.rng.between(minM[0], maxM[0]);
    const y = this.rng.between(minM[1], maxM[1]);
    return [x, y];
  }

  /** Distance from (x, y) to the nearest forbidden-disc centre (the nearest AP image); Infinity if none. */
  private apClearance(x: number, y: number): number {
    const d = this.apDiscs;
    let best = Infinity;
    for (let k = 0; k < d.length; k += 2) best = Math.min(best, Math.hypot(x - d[k], y - d[k + 1]));
    return best;
  }

  private place(i: number, placement: AnyPlacement): void {
    let p: [number, number];
    if (placement.model === 'explicit') {
      const [x, y] = placement.positionsM[i];
      const [cx, cy] = placement.frame === 'cell' ? this.centre(i) : [0, 0];
      p = [cx + x, cy + y];
    } else if (placement.model === 'uniform-in-rect') {
      const rects = placement.rectsM;
      const [[x0, y0], [x1, y1]] = rects.length === 1 ? rects[0] : rects[this.cellOf[i]];
      const [cx, cy] = placement.frame === 'cell' ? this.centre(i) : [0, 0];
      p = [cx + this.rng.between(Math.min(x0, x1), Math.max(x0, x1)), cy + this.rng.between(Math.min(y0, y1), Math.max(y0, y1))];
    } else if (placement.model === 'uniform-in-area' || this.geo.area) {
      // Cell-free (a uniform-in-cell placement in an area means the same: the area is the cell).
      // Rejection sampling; after PLACE_TRIES the candidate farthest from every AP.
      p = this.uniformInArea();
      let best = this.apClearance(p[0], p[1]);
      for (let k = 1; k < PLACE_TRIES && best < this.minApDistanceM; k++) {
        const q = this.uniformInArea();
        const d = this.apClearance(q[0], q[1]);
        if (d > best) [p, best] = [q, d];
      }
    } else {
      p = this.uniformInDisc(i, placement.minDistanceM, placement.maxDistanceM ?? this.geo.cellRadiusM);
    }
    this.posM[2 * i] = p[0];
    this.posM[2 * i + 1] = p[1];
  }

  private initMotion(i: number): void {
    const m = this.mobility;
    switch (m.model) {
      case 'static':
        return;
      case 'constant-velocity': {
        const heading = m.headingDeg === 'random' ? this.rng.between(0, 2 * Math.PI) : (m.headingDeg * Math.PI) / 180;
        this.velMps[2 * i] = m.speedMps * Math.cos(heading);
        this.velMps[2 * i + 1] = m.speedMps * Math.sin(heading);
        return;
      }
      case 'waypoints': {
        const [x, y] = this.waypoint(i, 0);
        this.posM[2 * i] = x;
        this.posM[2 * i + 1] = y;
        this.progress[i] = m.waypointsM.length > 1 ? 1 : 0;
        this.aimAt(i, ...this.waypoint(i, this.progress[i]), m.speedMps);
        return;
      }
      case 'random-waypoint':
        this.newLeg(i);
        return;
      case 'lane': {
        const [cx, cy] = m.frame === 'cell' ? this.centre(i) : [0, 0];
        const pts = new Float64Array(2 * m.roadM.length);
        const cum = new Float64Array(m.roadM.length);
        m.roadM.forEach(([x, y], k) => {
          pts[2 * k] = cx + x;
          pts[2 * k + 1] = cy + y;
          if (k > 0) cum[k] = cum[k - 1] + Math.hypot(pts[2 * k] - pts[2 * k - 2], pts[2 * k + 1] - pts[2 * k - 1]);
        });
        this.road[i] = { pts, cum, length: cum[cum.length - 1] };
        this.sign[i] = m.direction === 'backward' || (m.direction === 'both' && i % 2 === 1) ? -1 : 1;
        this.progress[i] = this.rng.between(0, this.road[i].length);
        this.placeOnRoad(i, m.speedMps);
        return;
      }
    }
  }

  private waypoint(i: number, k: number): [number, number] {
    const m = this.mobility as Extract<MobilitySpec, { model: 'waypoints' }>;
    const [x, y] = m.waypointsM[k];
    const [cx, cy] = m.frame === 'cell' ? this.centre(i) : [0, 0];
    return [cx + x, cy + y];
  }

  private aimAt(i: number, x: number, y: number, speed: number): void {
    const dx = x - this.posM[2 * i];
    const dy = y - this.posM[2 * i + 1];
    const d = Math.hypot(dx, dy);
    this.velMps[2 * i] = d > 0 ? (speed * dx) / d : 0;
    this.velMps[2 * i + 1] = d > 0 ? (speed * dy) / d : 0;
  }

  /**
   * Proposal k of a random waypoint for node i. Multicell: the first is drawn exactly as before
   * the bounds were enforced (uniform in the disc of radius max(cell radius, rMax)), so legs that
   * respect the bounds consume the stream as they always did; the redraws are uniform in the
   * annulus rMin ≤ r ≤ rMax. Cell-free: uniform in the square.
   */
  private proposeWaypoint(i: number, k: number): [number, number] {
    if (this.geo.area) return this.uniformInArea();
    return k === 0 ? this.uniformInDisc(i, 0, Math.max(this.geo.cellRadiusM, this.maxDistanceM)) : this.uniformInDisc(i, this.minDistanceM, this.maxDistanceM);
  }

  /** Whether a proposed waypoint satisfies the outer bound (multicell: r ≤ rMax; the square holds its own proposals). */
  private insideOuter(i: number, x: number, y: number): boolean {
    if (this.geo.area) return true;
    const [cx, cy] = this.centre(i);
    return Math.hypot(x - cx, y - cy) <= this.maxDistanceM + OUTER_SLACK_M;
  }

  /** First t ∈ [0, 1] at which the segment p → q enters a forbidden disc of node i; Infinity if none. */
  private firstEntry(i: number, px: number, py: number, qx: number, qy: number): number {
    const dx = qx - px;
    const dy = qy - py;
    if (this.geo.area) {
      const r = this.minApDistanceM;
      if (!(r > 0)) return Infinity;
      const d = this.apDiscs;
      let t = Infinity;
      for (let k = 0; k < d.length; k += 2) t = Math.min(t, entryT(px, py, dx, dy, d[k], d[k + 1], r));
      return t;
    }
    if (!(this.minDistanceM > 0)) return Infinity;
    const [cx, cy] = this.centre(i);
    return entryT(px, py, dx, dy, cx, cy, this.minDistanceM);
  }

  /**
   * Draws the next random-waypoint leg of node i from its current position. A proposal is taken
   * when its waypoint satisfies the outer bound and the straight leg to it never enters a
   * forbidden disc (multicell: r < rMin around the BS; cell-free: closer than dMin to an AP).
   * Otherwise the waypoint is redrawn, at most LEG_TRIES times in all; if every proposal fails,
   * the leg goes along the proposal with the longest admissible prefix and stops where that one
   * would enter the forbidden disc (so the bound holds even then). The leg's speed is drawn after
   * the waypoint, as before.
   */
  private newLeg(i: number): void {
    const m = this.mobility as Extract<MobilitySpec, { model: 'random-waypoint' }>;
    const px = this.posM[2 * i];
    const py = this.posM[2 * i + 1];
    let toX = px;
    let toY = py;
    let bestLen = -1;
    for (let k = 0; k < LEG_TRIES; k++) {
      const [x, y] = this.proposeWaypoint(i, k);
      if (!this.insideOuter(i, x, y)) continue;
      const t = this.firstEntry(i, px, py, x, y);
      if (t === Infinity) {
        [toX, toY] = [x, y];
        break;
      }
      const len = t * Math.hypot(x - px, y - py);
      if (len > bestLen) {
        bestLen = len;
        [toX, toY] = [px + t * (x - px), py + t * (y - py)];
      }
    }
    const speed = Math.max(0, m.speedMps + (m.speedSpreadMps > 0 ? this.rng.between(-1, 1) * m.speedSpreadMps : 0));
    this.legs[i] = { toX, toY, speed, pauseLeftS: 0 };
    this.aimAt(i, toX, toY, speed);
  }

  private placeOnRoad(i: number, speed: number): void {
    const { pts, cum, length } = this.road[i];
    let s = this.progress[i] % length;
    if (s < 0) s += length;
    this.progress[i] = s;
    let k = 1;
    while (k < cum.length - 1 && cum[k] < s) k++;
    const seg = cum[k] - cum[k - 1];
    const f = seg > 0 ? (s - cum[k - 1]) / seg : 0;
    const dx = pts[2 * k] - pts[2 * k - 2];
    const dy = pts[2 * k + 1] - pts[2 * k - 1];
    this.posM[2 * i] = pts[2 * k - 2] + f * dx;
    this.posM[2 * i + 1] = pts[2 * k - 1] + f * dy;
    const norm = Math.hypot(dx, dy) || 1;
    this.velMps[2 * i] = (this.sign[i] * speed * dx) / norm;
    this.velMps[2 * i + 1] = (this.sign[i] * speed * dy) / norm;
  }

  /** Advances every node by dtS seconds (prevPosM keeps the positions before the step). */
  step(dtS: number): void {
    this.prevPosM.set(this.posM);
    const m = this.mobility;
    if (m.model === 'static') return;
    const area = this.geo.area;
    for (let i = 0; i < this.size; i++) {
      switch (m.model) {
        case 'constant-velocity': {
          const x0 = this.posM[2 * i];
          const y0 = this.posM[2 * i + 1];
          this.posM[2 * i] += this.velMps[2 * i] * dtS;
          this.posM[2 * i + 1] += this.velMps[2 * i + 1] * dtS;
          if (area) {
            if (m.boundary === 'reflect' || area.wrap) this.traceArea(i, x0, y0, m.boundary === 'reflect');
          } else if (m.boundary === 'reflect') this.reflect(i, x0, y0);
          break;
        }
        case 'waypoints':
          this.moveTowards(i, dtS);
          break;
        case 'random-waypoint':
          this.moveTowards(i, dtS);
          break;
        case 'lane':
          this.progress[i] += this.sign[i] * m.speedMps * dtS;
          this.placeOnRoad(i, m.speedMps);
          break;
      }
    }
  }

  /** Moves node i along its current leg, switching leg (and pausing) on arrival. */
  private moveTowards(i: number, dtS: number): void {
    const m = this.mobility;
    let left = dtS;
    for (let guard = 0; left > 0 && guard < 8; guard++) {
      let tx: number;
      let ty: number;
      let speed: number;
      if (m.model === 'random-waypoint') {
        const leg = this.legs[i];
        if (leg.pauseLeftS > 0) {
          const p = Math.min(leg.pauseLeftS, left);
          leg.pauseLeftS -= p;
          left -= p;
          if (leg.pauseLeftS <= 0) this.newLeg(i);
          continue;
        }
        [tx, ty, speed] = [leg.toX, leg.toY, leg.speed];
      } else if (m.model === 'waypoints') {
        [tx, ty] = this.waypoint(i, this.progress[i]);
        speed = m.speedMps;
      } else return;
      const dx = tx - this.posM[2 * i];
      const dy = ty - this.posM[2 * i + 1];
      const d = Math.hypot(dx, dy);
      if (speed <= 0) {
        this.velMps[2 * i] = 0;
        this.velMps[2 * i + 1] = 0;
        return;
      }
      const reach = speed * left;
      if (reach < d) {
        this.posM[2 * i] += (dx / d) * reach;
        this.posM[2 * i + 1] += (dy / d) * reach;
        this.velMps[2 * i] = (dx / d) * speed;
        this.velMps[2 * i + 1] = (dy / d) * speed;
        return;
      }
      this.posM[2 * i] = tx;
      this.posM[2 * i + 1] = ty;
      left -= d / speed;
      if (m.model === 'random-waypoint') {
        const leg = this.legs[i];
        leg.pauseLeftS = m.pauseS;
        this.velMps[2 * i] = 0;
        this.velMps[2 * i + 1] = 0;
        if (m.pauseS <= 0) this.newLeg(i);
      } else if (m.model === 'waypoints') {
        const next = this.progress[i] + 1;
        if (next >= m.waypointsM.length && !m.loop) {
          this.velMps[2 * i] = 0;
          this.velMps[2 * i + 1] = 0;
          return;
        }
        this.progress[i] = next % m.waypointsM.length;
        this.aimAt(i, ...this.waypoint(i, this.progress[i]), speed);
      }
    }
  }

  /**
   * Node i moved in a straight line from (sx, sy) to posM. Where that path enters the disc of
   * radius r around (cx, cy) it is reflected specularly at the circle (velocity mirrored about the
   * normal there, the rest of the path continues along the new direction). Returns false when the
   * path does not enter the disc.
   */
  private bounceOffDisc(i: number, s: [number, number], cx: number, cy: number, r: number): boolean {
    const ex = this.posM[2 * i];
    const ey = this.posM[2 * i + 1];
    const dx = ex - s[0];
    const dy = ey - s[1];
    const t = entryT(s[0], s[1], dx, dy, cx, cy, r);
    if (t === Infinity) return false;
    const qx = s[0] + t * dx;
    const qy = s[1] + t * dy;
    const nr = Math.hypot(qx - cx, qy - cy) || 1;
    const nx = (qx - cx) / nr;
    const ny = (qy - cy) / nr;
    const vn = this.velMps[2 * i] * nx + this.velMps[2 * i + 1] * ny;
    this.velMps[2 * i] -= 2 * vn * nx;
    this.velMps[2 * i + 1] -= 2 * vn * ny;
    const rest = (1 - t) * Math.hypot(dx, dy);
    const v = Math.hypot(this.velMps[2 * i], this.velMps[2 * i + 1]) || 1;
    this.posM[2 * i] = qx + (rest * this.velMps[2 * i]) / v;
    this.posM[2 * i + 1] = qy + (rest * this.velMps[2 * i + 1]) / v;
    s[0] = qx;
    s[1] = qy;
    return true;
  }

  /**
   * Constant-velocity 'reflect', multicell: keeps node i (which moved in a straight line from
   * (x0, y0)) in the annulus rMin ≤ r ≤ rMax around its BS. The inner circle reflects the path
   * specularly where it hits it; the outer circle mirrors the end point radially and reverses the
   * radial velocity component (as before the inner bound existed, so nodes that never reach the
   * inner circle move exactly as they did).
   */
  private reflect(i: number, x0: number, y0: number): void {
    const [cx, cy] = this.centre(i);
    const rMin = this.minDistanceM;
    if (rMin > 0) {
      const s: [number, number] = [x0, y0];
      for (let k = 0; k < 4 && this.bounceOffDisc(i, s, cx, cy, rMin); k++);
    }
    const R = this.maxDistanceM;
    const rx = this.posM[2 * i] - cx;
    const ry = this.posM[2 * i + 1] - cy;
    const r = Math.hypot(rx, ry);
    if (r > R) {
      const ux = rx / r;
      const uy = ry / r;
      // A step longer than R − rMin could mirror into the inner disc: clamp (never in practice).
      const back = Math.max(Math.min(2 * R - r, R), rMin);
      this.posM[2 * i] = cx + ux * back;
      this.posM[2 * i + 1] = cy + uy * back;
      const vr = this.velMps[2 * i] * ux + this.velMps[2 * i + 1] * uy;
      this.velMps[2 * i] -= 2 * vr * ux;
      this.velMps[2 * i + 1] -= 2 * vr * uy;
    }
  }

  /**
   * Constant velocity in a cell-free area: node i moved in a straight line from (x0, y0); the
   * path is traced event by event. With `discs` it reflects specularly off the forbidden discs
   * around the APs (and their images on the torus). At the square's edges it reflects specularly
   * (the velocity component normal to the edge flips, speed kept) or, on a torus, re-enters at
   * the opposite edge with the same velocity.
   */
  private traceArea(i: number, x0: number, y0: number, discs: boolean): void {
    const area = this.geo.area!;
    const [minX, minY] = area.minM;
    const [maxX, maxY] = area.maxM;
    const w = maxX - minX;
    const h = maxY - minY;
    const s: [number, number] = [x0, y0];
    if (area.wrap) {
      // Start inside the fundamental square (shift the path with it).
      const sx = x0 < minX || x0 >= maxX ? -w * Math.floor((x0 - minX) / w) : 0;
      const sy = y0 < minY || y0 >= maxY ? -h * Math.floor((y0 - minY) / h) : 0;
      s[0] += sx;
      s[1] += sy;
      this.posM[2 * i] += sx;
      this.posM[2 * i + 1] += sy;
    }
    const r = this.minApDistanceM;
    const d = this.apDiscs;
    for (let iter = 0; iter < 32; iter++) {
      const ex = this.posM[2 * i];
      const ey = this.posM[2 * i + 1];
      const dx = ex - s[0];
      const dy = ey - s[1];
      if (dx === 0 && dy === 0) return;
      let tBest = Infinity;
      let event = 0; // 1: AP disc k, 2: x edge, 3: y edge
      let disc = -1;
      if (discs && r > 0) {
        for (let k = 0; k < d.length; k += 2) {
          const t = entryT(s[0], s[1], dx, dy, d[k], d[k + 1], r);
          if (t < tBest) [tBest, event, disc] = [t, 1, k];
        }
      }
      const edgeT = (p: number, dp: number, lo: number, hi: number): number =>
        dp > 0 && p + dp > hi ? Math.max(0, (hi - p) / dp) : dp < 0 && p + dp < lo ? Math.max(0, (lo - p) / dp) : Infinity;
      const tx = edgeT(s[0], dx, minX, maxX);
      if (tx < tBest) [tBest, event] = [tx, 2];
      const ty = edgeT(s[1], dy, minY, maxY);
      if (ty < tBest) [tBest, event] = [ty, 3];
      if (event === 0) return;
      if (event === 1) {
        this.bounceOffDisc(i, s, d[disc], d[disc + 1], r);
        continue;
      }
      const rest = 1 - tBest;
      // The crossing point (exactly on the edge; a node already outside turns where it is).
      const x = event === 2 && tBest > 0 ? (dx > 0 ? maxX : minX) : s[0] + tBest * dx;
      const y = event === 3 && tBest > 0 ? (dy > 0 ? maxY : minY) : s[1] + tBest * dy;
      if (area.wrap) {
        s[0] = event === 2 ? (dx > 0 ? minX : maxX) : x;
        s[1] = event === 3 ? (dy > 0 ? minY : maxY) : y;
        this.posM[2 * i] = s[0] + rest * dx;
        this.posM[2 * i + 1] = s[1] + rest * dy;
      } else {
        [s[0], s[1]] = [x, y];
        const k = event === 2 ? 0 : 1;
        this.velMps[2 * i + k] = -this.velMps[2 * i + k];
        this.posM[2 * i] = x + (event === 2 ? -rest * dx : rest * dx);
        this.posM[2 * i + 1] = y + (event === 3 ? -rest * dy : rest * dy);
      }
    }
    // Pathological (a step many times the area's side): put the node back into the square.
    const px = this.posM[2 * i];
    const py = this.posM[2 * i + 1];
    this.posM[2 * i] = area.wrap ? minX + (((px - minX) % w) + w) % w : Math.min(maxX, Math.max(minX, px));
    this.posM[2 * i + 1] = area.wrap ? minY + (((py - minY) % h) + h) % h : Math.min(maxY, Math.max(minY, py));
  }
}

/**
 * Centres of the discs a node of `area` must stay out of (radius dMin): every AP and, on the
 * torus, each of its 8 neighbouring images whose disc reaches into the square.
 */
function forbiddenDiscs(area: PopulationArea, dMin: number): Float64Array {
  const out: number[] = [];
  const ap = area.apPosM;
  const w = area.maxM[0] - area.minM[0];
  const h = area.maxM[1] - area.minM[1];
  for (let m = 0; m < ap.length; m += 2) {
    for (let kx = -1; kx <= 1; kx++) {
      for (let ky = -1; ky <= 1; ky++) {
        if (!area.wrap && (kx !== 0 || ky !== 0)) continue;
        const x = ap[m] + kx * w;
        const y = ap[m + 1] + ky * h;
        const gx = Math.max(area.minM[0] - x, 0, x - area.maxM[0]);
        const gy = Math.max(area.minM[1] - y, 0, y - area.maxM[1]);
        if ((kx === 0 && ky === 0) || Math.hypot(gx, gy) < dMin) out.push(x, y);
      }
    }
  }
  return Float64Array.from(out);
}
