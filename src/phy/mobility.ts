/**
 * Mobility of users and targets. A `Population` holds the positions of n nodes, each bound to a
 * cell (its BS), and moves them by `step(dtS)` according to one mobility model. All randomness
 * comes from the injected stream. Positions are metres in the world frame.
 */
import type { MobilitySpec, PlacementSpec } from '../scenario/schema.ts';
import type { Rng } from './random.ts';

export interface PopulationGeometry {
  /** [numCells, 2] BS / cell centre positions. */
  cellCentresM: Float64Array;
  cellRadiusM: number;
}

type Leg = { toX: number; toY: number; speed: number; pauseLeftS: number };

export class Population {
  /** [n, 2] current positions (m). */
  readonly posM: Float64Array;
  /** [n, 2] current velocities (m/s). */
  readonly velMps: Float64Array;
  private readonly legs: Leg[] = [];
  /** Per node: index of the next waypoint (waypoints) or the arc length along the road (lane). */
  private readonly progress: Float64Array;
  private readonly sign: Float64Array;
  private readonly road: { pts: Float64Array; cum: Float64Array; length: number }[] = [];

  constructor(
    readonly cellOf: Int32Array,
    private readonly geo: PopulationGeometry,
    private readonly mobility: MobilitySpec,
    placement: PlacementSpec,
    private readonly rng: Rng,
  ) {
    const n = cellOf.length;
    this.posM = new Float64Array(2 * n);
    this.velMps = new Float64Array(2 * n);
    this.progress = new Float64Array(n);
    this.sign = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) this.place(i, placement);
    for (let i = 0; i < n; i++) this.initMotion(i);
  }

  get size(): number {
    return this.cellOf.length;
  }

  /** Speed (m/s) of node i. */
  speed(i: number): number {
    return Math.hypot(this.velMps[2 * i], this.velMps[2 * i + 1]);
  }

  private centre(i: number): [number, number] {
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

  private place(i: number, placement: PlacementSpec): void {
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

  private newLeg(i: number): void {
    const m = this.mobility as Extract<MobilitySpec, { model: 'random-waypoint' }>;
    const [toX, toY] = this.uniformInDisc(i, 0, this.geo.cellRadiusM);
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

  /** Advances every node by dtS seconds. */
  step(dtS: number): void {
    const m = this.mobility;
    if (m.model === 'static') return;
    for (let i = 0; i < this.size; i++) {
      switch (m.model) {
        case 'constant-velocity':
          this.posM[2 * i] += this.velMps[2 * i] * dtS;
          this.posM[2 * i + 1] += this.velMps[2 * i + 1] * dtS;
          if (m.boundary === 'reflect') this.reflect(i);
          break;
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

  /** Mirrors node i back into its cell disc, reversing the radial velocity component. */
  private reflect(i: number): void {
    const [cx, cy] = this.centre(i);
    const R = this.geo.cellRadiusM;
    const rx = this.posM[2 * i] - cx;
    const ry = this.posM[2 * i + 1] - cy;
    const r = Math.hypot(rx, ry);
    if (r <= R) return;
    const ux = rx / r;
    const uy = ry / r;
    const back = Math.min(2 * R - r, R);
    this.posM[2 * i] = cx + ux * back;
    this.posM[2 * i + 1] = cy + uy * back;
    const vr = this.velMps[2 * i] * ux + this.velMps[2 * i + 1] * uy;
    this.velMps[2 * i] -= 2 * vr * ux;
    this.velMps[2 * i + 1] -= 2 * vr * uy;
  }
}
