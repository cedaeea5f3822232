/**
 * The global ISAC loss of paper 000 (eqs. 13–17) in tfjs, on real/imaginary pairs, in the
 * normalised units of dataset.ts (noise powers 1, unit-power W̃_m). It computes exactly the
 * metrics of src/metrics/isac.ts: SINR eq. 6 and the MRC sensing SINR (eq. 8 as implemented there,
 * with the N_R gain, the b(θ_t)ᴴb(θ_i) leakage and N_R σ_s² noise — these live in G̃ and Ĩ).
 *
 * Complex products as real ones: with h, w interleaved [re, im] vectors of length 2N_T,
 *   Re(hᴴw) = h · [wr, wi],   Im(hᴴw) = h · [wi, −wr]
 * so W̃ is expanded to Wc = [W̃ ; rot(W̃)] ([.., 2K, 2N_T]) and one matMul gives both parts.
 *
 * `interCell: false` drops every inter-cell term (other BSs' beams at a user, other BSs' leakage
 * at a target): the per-cell DL baseline's loss, a sum of per-cell losses that each depend on one
 * W_m only.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { IsacDims } from './dataset.ts';
import { sizes } from './dataset.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface IsacBatch {
  /** [B, numBs, numUsers, N_T·2] */ H: Tensor;
  /** [B, numTargets, numBs, N_T·2] */ G: Tensor;
  /** [B, numTargets, J, N_T·2] */ I: Tensor;
}

export interface IsacRates {
  /** [B] R_c per sample (bit/s/Hz) */ rc: Tensor;
  /** [B] R_s per sample (bit/s/Hz) */ rs: Tensor;
}

/**
 * Eq. 11 in normalised units: each row of `raw` [B, 2·K·N_T] scaled to unit power (P_T = 1).
 * A tiny floor keeps an all-zero output finite.
 */
export function normalisePowerTf(tf: Tf, raw: Tensor): Tensor {
  return tf.tidy(() => tf.div(raw, powerNormTf(tf, raw)));
}

/** The per-row norm eq. 11 divides by, √(‖raw‖² + 1e-12) ([…, 1]); the VFL party keeps it for its backward pass. */
export function powerNormTf(tf: Tf, raw: Tensor): Tensor {
  return tf.tidy(() => tf.sqrt(tf.add(tf.sum(tf.square(raw), -1, true), 1e-12)));
}

/** Per-BS rows → Wc [B·numBs, 2K, 2N_T] (see the module comment). W: [B, numBs, K, N_T·2]. */
function expand(tf: Tf, W: Tensor, d: IsacDims): Tensor {
  const B = W.shape[0];
  const nt = d.numTxAnt;
  const K = d.usersPerCell;
  const w = tf.reshape(W, [B * d.numBs, K, nt, 2]);
  const [wr, wi] = tf.split(w, 2, -1);
  const rot = tf.reshape(tf.concat([wi, tf.neg(wr)], -1), [B * d.numBs, K, 2 * nt]);
  return tf.concat([tf.reshape(w, [B * d.numBs, K, 2 * nt]), rot], 1); // [B·numBs, 2K, 2N_T]
}

/** |·|² summed over the (re, im) halves of the 2K axis: [.., 2K] → [.., K]. */
function power(tf: Tf, z: Tensor, K: number): Tensor {
  const [re, im] = tf.split(z, [K, K], -1);
  return tf.add(tf.square(re), tf.square(im));
}

/** Constant masks of the topology (uniform cells; user u and target t belong to cell ⌊u/K⌋, ⌊t/J⌋). */
function masks(tf: Tf, d: IsacDims, interCell: boolean) {
  const z = sizes(d);
  const K = d.usersPerCell;
  const desired = new Float32Array(d.numBs * z.numUsers * K);
  const interf = new Float32Array(d.numBs * z.numUsers * K);
  for (let m = 0; m < d.numBs; m++) {
    for (let u = 0; u < z.numUsers; u++) {
      for (let k = 0; k < K; k++) {
        const i = (m * z.numUsers + u) * K + k;
        const own = Math.floor(u / K) === m;
        if (own && u % K === k) desired[i] = 1;
        else if (own || interCell) interf[i] = 1;
      }
    }
  }
  const ownT = new Float32Array(d.numBs * z.numTargets);
  const otherT = new Float32Array(d.numBs * z.numTargets);
  for (let m = 0; m < d.numBs; m++) {
    for (let t = 0; t < z.numTargets; t++) {
      if (Math.floor(t / d.targetsPerCell) === m) ownT[m * z.numTargets + t] = 1;
      else if (interCell) otherT[m * z.numTargets + t] = 1;
    }
  }
  return {
    desired: tf.tensor3d(desired, [d.numBs, z.numUsers, K]),
    interf: tf.tensor3d(interf, [d.numBs, z.numUsers, K]),
    ownT: tf.tensor2d(ownT, [d.numBs, z.numTargets]),
    otherT: tf.tensor2d(otherT, [d.numBs, z.numTargets]),
  };
}

/**
 * R_c and R_s per sample for beamformers W [B, numBs, K, N_T·2] (unit power per BS, interleaved).
 */
export function isacRates(tf: Tf, d: IsacDims, batch: IsacBatch, W: Tensor, interCell = true): IsacRates {
  return tf.tidy(() => {
    const z = sizes(d);
    const B = W.shape[0];
    const M = d.numBs;
    const K = d.usersPerCell;
    const nt2 = 2 * d.numTxAnt;
    const mk = masks(tf, d, interCell);
    const Wc = expand(tf, W, d); // [B·M, 2K, 2N_T]
    // Communication: P[b, m, u, k] = |h_{m,u}ᴴ w_{m,k}|²
    const Hm = tf.reshape(batch.H, [B * M, z.numUsers, nt2]);
    const P = tf.reshape(power(tf, tf.matMul(Hm, Wc, false, true), K), [B, M, z.numUsers, K]);
    const desired = tf.sum(tf.mul(P, mk.desired), [1, 3]); // [B, U]
    const interf = tf.sum(tf.mul(P, mk.interf), [1, 3]); // [B, U]
    const gammaC = tf.div(desired, tf.add(interf, 1));
    const rc = tf.sum(tf.div(tf.log1p(gammaC), Math.LN2), -1);
    // Sensing: E[b, n, t] = ‖g_{t,n}ᴴ W_n‖²
    const Gn = tf.reshape(tf.transpose(batch.G, [0, 2, 1, 3]), [B * M, z.numTargets, nt2]);
    const E = tf.reshape(tf.sum(power(tf, tf.matMul(Gn, Wc, false, true), K), -1), [B, M, z.numTargets]);
    const signal = tf.sum(tf.mul(E, mk.ownT), 1); // [B, T]
    const inter = tf.sum(tf.mul(E, mk.otherT), 1); // [B, T]
    // intra-cell leakage Ĩ[t, s] acts on W_{bs(t)}
    // targets are numbered cell by cell (t = m·J + j): repeat each W_m J times by broadcasting
    // (no gather: its gradient has no wasm kernel)
    const J = d.targetsPerCell;
    const Wt = tf.reshape(tf.mul(tf.reshape(Wc, [B, M, 1, 2 * K, nt2]), tf.ones([1, 1, J, 1, 1])), [B * z.numTargets, 2 * K, nt2]);
    const It = tf.reshape(batch.I, [B * z.numTargets, d.targetsPerCell, nt2]);
    const intra = tf.reshape(tf.sum(power(tf, tf.matMul(It, Wt, false, true), K), [1, 2]), [B, z.numTargets]);
    const gammaS = tf.div(signal, tf.add(tf.add(inter, intra), 1));
    const rs = tf.sum(tf.div(tf.log1p(gammaS), Math.LN2), -1);
    return { rc, rs };
  });
}

/** ρL_c + (1−ρ)L_s averaged over the batch (eq. 17), a scalar. */
export function isacLoss(tf: Tf, d: IsacDims, batch: IsacBatch, W: Tensor, rho: number, interCell = true): Tensor {
  return tf.tidy(() => {
    const { rc, rs } = isacRates(tf, d, batch, W, interCell);
    return tf.neg(tf.mean(tf.add(tf.mul(rc, rho), tf.mul(rs, 1 - rho))));
  });
}
