/**
 * Plane geometry of the network: hexagonal cell layouts, angles seen by a ULA, steering vectors.
 * Positions are metres in a world frame (x east, y north); azimuths are radians from +x,
 * counter-clockwise.
 */
import type { CArray } from './complex.ts';

export const SPEED_OF_LIGHT_MPS = 299_792_458;

/** Wavelength (m) of a carrier frequency (Hz). */
export function wavelengthM(carrierHz: number): number {
  return SPEED_OF_LIGHT_MPS / carrierHz;
}

/**
 * Centres of `numCells` hexagonal cells of circumradius `cellRadiusM`: the first at the origin,
 * then ring 1 (6 cells) counter-clockwise from east, then ring 2, … (axial hex coordinates,
 * pointy-top). Any prefix of the sequence is a compact cluster: 3 cells are mutually adjacent.
 * Returns [numCells, 2] (x, y) in metres.
 */
export function hexLayout(numCells: number, cellRadiusM: number): Float64Array {
  const out = new Float64Array(2 * numCells);
  const axial: Array<[number, number]> = [[0, 0]];
  // Axial directions, counter-clockwise starting east.
  const dirs: Array<[number, number]> = [[1, 0], [1, -1], [0, -1], [-1, 0], [-1, 1], [0, 1]];
  for (let ring = 1; axial.length < numCells; ring++) {
    // Start at ring·dir[4] and walk the six sides.
    let q = dirs[4][0] * ring;
    let r = dirs[4][1] * ring;
    for (let side = 0; side < 6; side++) {
      for (let step = 0; step < ring; step++) {
        axial.push([q, r]);
        q += dirs[side][0];
        r += dirs[side][1];
      }
    }
  }
  const s3 = Math.sqrt(3);
  for (let i = 0; i < numCells; i++) {
    const [q, r] = axial[i];
    out[2 * i] = cellRadiusM * s3 * (q + r / 2);
    out[2 * i + 1] = cellRadiusM * 1.5 * -r;
  }
  return out;
}

/** Distance (m) between points (x1, y1) and (x2, y2). */
export function distance(x1: number, y1: number, x2: number, y2: number): number {
  return Math.hypot(x2 - x1, y2 - y1);
}

/** Azimuth (rad, from +x, counter-clockwise) of the point (x2, y2) seen from (x1, y1). */
export function azimuth(x1: number, y1: number, x2: number, y2: number): number {
  return Math.atan2(y2 - y1, x2 - x1);
}

/**
 * Writes the half-wavelength ULA steering vector a(θ) = [1, e^{jπ sinθ}, …, e^{jπ(N−1) sinθ}]ᵀ
 * (θ from the array broadside) into `out` at element offset `offset`, multiplied by the complex
 * scalar (cr, ci). Paper 000, the definition under eq. (4).
 */
export function steeringInto(
  out: CArray,
  offset: number,
  numAnt: number,
  thetaRad: number,
  cr = 1,
  ci = 0,
): void {
  const phi = Math.PI * Math.sin(thetaRad);
  for (let n = 0; n < numAnt; n++) {
    const c = Math.cos(phi * n);
    const s = Math.sin(phi * n);
    out[2 * (offset + n)] = cr * c - ci * s;
    out[2 * (offset + n) + 1] = cr * s + ci * c;
  }
}

/** Angle (rad) from a BS array's broadside to azimuth `azimuthRad`, wrapped to (−π, π]. */
export function angleFromBroadside(azimuthRad: number, broadsideRad: number): number {
  let a = azimuthRad - broadsideRad;
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a <= -Math.PI) a += 2 * Math.PI;
  return a;
}

/** The shortest signed offset equivalent to `d` on a circle of circumference `period` (torus axes). */
export function nearestImageDelta(d: number, period: number): number {
  return d - period * Math.round(d / period);
}
