/**
 * Paper 002's distributed mode (distributed.ts, §9) on the twin's geometry (docs/primal-dual.md
 * §10.4): the gains G[n, s] of every stream at every user and each BS's local features, from the
 * twin's channels — one function for training (pool snapshots) and serving (a BS's CSI view).
 *
 * Streams and units as distributed.ts (stage-1 form, D5): BS i's comm stream l on the MRT
 * direction u_il of its own user il, its radar stream p on the target beam b_ip; single array
 * (T1: f = g) and paper units (T2) with P_tot = K·P_max + P_R:
 *   g_{i,n} = conj(h̃_{i,n})·c,  c = √(N_0/P_tot),  h̃ = h·√(P_i/σ_c²)
 *   a²_{n,il} = |g_{i,n}ᵀ u_il|² = c²|h̃_{i,n}ᴴ h̃_{i,il}|²/‖h̃_{i,il}‖²,   c_{n,ip} = c²|h̃_{i,n}ᴴ b_ip|²
 * Local CSI in the twin (choice T6, not the paper's D3): BS j's view holds ITS channels to every
 * user, h_{j,n} for all n — so BS j knows the gains of ITS OWN streams at every user, G[n, s ∈ j]
 * (J·K·(K + P) values), i.e. the interference it causes, not the interference its users receive
 * (which only the other BSs know: what the exchanged bits can carry). Features: log G[n, s ∈ j],
 * standardised per feature with the training pool's mean and s.d. (stored with the model).
 */
import { targetBeams } from '../../metrics/beampattern.ts';
import { distributedProblem, type DistributedProblem, type DistributedSet } from './distributed.ts';

/** The distributed problem of a twin network: K users per BS, N = M_C = M_R antennas, the BSs' target angles. */
export function twinExchangeProblem(numUsers: number, numTxAnt: number, targetsDegPerBs: number[][]): DistributedProblem {
  return distributedProblem({ numUsers, numCommAnt: numTxAnt, numRadarAnt: numTxAnt, targetsDegPerBs, crossGain: 1 });
}

/** √(N_0/P_tot) of the problem's units. */
export function exchangeScale(dp: DistributedProblem): number {
  return Math.sqrt(dp.noiseW / (dp.K * dp.cfg.powerMaxW + dp.cfg.radarPowerW));
}

/**
 * The gains of BS i's streams at every user, G[n, s ∈ i] for n < J·K, written into `out` (row n,
 * stride S, at column i·(K + P)), from H̃ [numBs, J·K, N] (normalised channels of one sample) with
 * `beams` b_ip at the given angles (the trained ones, or a BS's estimates).
 */
export function bsGainsInto(dp: DistributedProblem, out: Float64Array, o: number, H: ArrayLike<number>, i: number, beams: Float64Array): void {
  const { J, K, P, S } = dp;
  const N = dp.MC;
  const U = J * K;
  const c2 = exchangeScale(dp) ** 2;
  const row = (n: number) => 2 * (i * U + n) * N;
  for (let l = 0; l < K; l++) {
    const ow = row(i * K + l);
    let n2 = 0;
    for (let x = 0; x < 2 * N; x++) n2 += H[ow + x] * H[ow + x];
    for (let n = 0; n < U; n++) {
      const hn = row(n);
      let re = 0;
      let im = 0;
      for (let x = 0; x < N; x++) {
        // h_nᴴ h_own
        re += H[hn + 2 * x] * H[ow + 2 * x] + H[hn + 2 * x + 1] * H[ow + 2 * x + 1];
        im += H[hn + 2 * x] * H[ow + 2 * x + 1] - H[hn + 2 * x + 1] * H[ow + 2 * x];
      }
      out[o + n * S + i * (K + P) + l] = n2 > 0 ? (c2 * (re * re + im * im)) / n2 : 0;
    }
  }
  for (let p = 0; p < P; p++) {
    for (let n = 0; n < U; n++) {
      const hn = row(n);
      let re = 0;
      let im = 0;
      for (let x = 0; x < N; x++) {
        const br = beams[2 * (p * N + x)];
        const bi = beams[2 * (p * N + x) + 1];
        re += H[hn + 2 * x] * br + H[hn + 2 * x + 1] * bi;
        im += H[hn + 2 * x] * bi - H[hn + 2 * x + 1] * br;
      }
      out[o + n * S + i * (K + P) + K + p] = c2 * (re * re + im * im);
    }
  }
}

/** Per-feature mean and s.d. of the log-gains [F] (F = J·K·(K + P)) of each BS. */
export interface ExchangeMoments {
  mean: number[][];
  sd: number[][];
}

/** Raw log-gain features of BS j from a gains row block G[n, s] of one sample (at element o). */
export function logFeaturesInto(dp: DistributedProblem, out: Float32Array, oo: number, G: Float64Array, o: number, j: number): void {
  const { N: U, K, P, S } = dp;
  let f = 0;
  for (let n = 0; n < U; n++) for (let s = 0; s < K + P; s++) out[oo + f++] = Math.log(Math.max(G[o + n * S + j * (K + P) + s], 1e-30));
}

/**
 * The distributed set of pool samples H̃ [n, numBs, J·K, N] (twin normalised channels): gains of every
 * stream at every user and each BS's standardised local features (with `moments`; fitted on this set
 * when absent). Training and serving (n = 1, one BS's row filled) share it.
 */
export function twinDistributedSet(dp: DistributedProblem, H: Float32Array, moments?: ExchangeMoments): { set: DistributedSet; moments: ExchangeMoments } {
  const { J, N: U, S, featureDim: F } = dp;
  const N = dp.MC;
  const per = J * U * N * 2;
  const n = H.length / per;
  const gains = new Float64Array(n * U * S);
  const beams = dp.cfg.targetsDegPerBs.map((t) => targetBeams(N, t));
  for (let s = 0; s < n; s++) for (let i = 0; i < J; i++) bsGainsInto(dp, gains, s * U * S, H.subarray(s * per, (s + 1) * per), i, beams[i]);
  const raw = new Float32Array(n * J * F);
  for (let s = 0; s < n; s++) for (let j = 0; j < J; j++) logFeaturesInto(dp, raw, (s * J + j) * F, gains, s * U * S, j);
  const mom = moments ?? fitMoments(dp, raw, n);
  standardiseInPlace(dp, raw, n, mom);
  return { set: { n, gains, features: raw }, moments: mom };
}

function fitMoments(dp: DistributedProblem, raw: Float32Array, n: number): ExchangeMoments {
  const { J, featureDim: F } = dp;
  const mean = Array.from({ length: J }, () => new Array(F).fill(0));
  const sd = Array.from({ length: J }, () => new Array(F).fill(0));
  for (let s = 0; s < n; s++) for (let j = 0; j < J; j++) for (let f = 0; f < F; f++) mean[j][f] += raw[(s * J + j) * F + f] / n;
  for (let s = 0; s < n; s++) for (let j = 0; j < J; j++) for (let f = 0; f < F; f++) sd[j][f] += (raw[(s * J + j) * F + f] - mean[j][f]) ** 2 / n;
  for (let j = 0; j < J; j++) for (let f = 0; f < F; f++) sd[j][f] = Math.sqrt(Math.max(sd[j][f], 1e-12));
  return { mean, sd };
}

/** x ← (x − mean)/sd per BS and feature. */
export function standardiseInPlace(dp: DistributedProblem, raw: Float32Array, n: number, m: ExchangeMoments): void {
  const { J, featureDim: F } = dp;
  for (let s = 0; s < n; s++) for (let j = 0; j < J; j++) for (let f = 0; f < F; f++) raw[(s * J + j) * F + f] = (raw[(s * J + j) * F + f] - m.mean[j][f]) / m.sd[j][f];
}

/**
 * BS j's standardised features from its own CSI view: H [numBs, J·K, N] (the twin's unnormalised
 * channels; only row j is read) scaled by √(P_j/σ_c²), radar gains at `anglesDeg` (its estimates).
 */
export function bsFeaturesFromView(dp: DistributedProblem, H: ArrayLike<number>, j: number, powerW: number, noiseW: number, anglesDeg: ArrayLike<number>, moments: ExchangeMoments): Float32Array {
  const { J, N: U, S, featureDim: F } = dp;
  const N = dp.MC;
  const Hn = new Float64Array(J * U * N * 2);
  const sc = Math.sqrt(powerW / noiseW);
  const o = 2 * j * U * N;
  for (let x = 0; x < 2 * U * N; x++) Hn[o + x] = H[o + x] * sc;
  const G = new Float64Array(U * S);
  bsGainsInto(dp, G, 0, Hn, j, targetBeams(N, anglesDeg));
  const x = new Float32Array(F);
  logFeaturesInto(dp, x, 0, G, 0, j);
  for (let f = 0; f < F; f++) x[f] = (x[f] - moments.mean[j][f]) / moments.sd[j][f];
  return x;
}

/** Pool samples [start, start + n) mod the pool size as a distributed set (training batches). */
export function twinPoolBatch(dp: DistributedProblem, pool: Float32Array, moments: ExchangeMoments, start: number, n: number): DistributedSet {
  const per = dp.J * dp.N * dp.MC * 2;
  const count = pool.length / per;
  const H = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const s = (start + i) % count;
    H.set(pool.subarray(s * per, (s + 1) * per), i * per);
  }
  return twinDistributedSet(dp, H, moments).set;
}
