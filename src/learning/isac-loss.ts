/**
 * The global ISAC loss of paper 000 (eqs. 13–17) in tfjs, in the normalised units of dataset.ts
 * (noise powers 1, unit-power W̃_m), on the per-cell beam layout the MLPs output
 * ([B, numBs, K, 2N_T], row k of BS m = user m·K + k). It holds no formula of its own: R_c and R_s
 * are losses.ts's commSinrTf / monostaticSinrTf (the tf twins of src/metrics/isac.ts: SINR eq. 6
 * and the MRC sensing SINR with the N_R gain, the b(θ_t)ᴴb(θ_i) leakage and N_R σ_s² noise, which
 * live in G̃ and Ĩ) on paper000Scene(d).
 *
 * `interCell: false` drops every inter-cell term (other BSs' beams at a user, other BSs' leakage
 * at a target): the per-cell DL baseline's loss, a sum of per-cell losses that each depend on one
 * W_m only.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { IsacDims } from './dataset.ts';
import { commSinrTf, monostaticSinrTf, paper000Scene, sumRateTf } from './losses.ts';

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

/**
 * R_c and R_s per sample for beamformers W [B, numBs, K, N_T·2] (unit power per BS, interleaved):
 * the losses.ts metrics (commSinrTf, monostaticSinrTf) on paper 000's per-cell scene.
 */
export function isacRates(tf: Tf, d: IsacDims, batch: IsacBatch, W: Tensor, interCell = true): IsacRates {
  return tf.tidy(() => {
    const scene = paper000Scene(d, 'per-cell');
    const rc = sumRateTf(tf, commSinrTf(tf, scene, batch.H, W, { interCell }));
    const rs = scene.sensing?.geometry === 'monostatic' ? sumRateTf(tf, monostaticSinrTf(tf, scene.sensing, batch.G, batch.I, W, { interCell })) : tf.zeros([W.shape[0]!]);
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
