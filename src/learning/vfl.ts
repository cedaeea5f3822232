/**
 * Vertical federated learning of per-BS beamformers (paper 000, Sec. III-C, Fig. 2), with explicit
 * parties and messages, and the per-cell DL baseline.
 *
 * One training iteration on a batch of B samples:
 *   1. each `BsParty` m runs its own MLP on its local features x_m (dropout active, seeded) and
 *      normalises the output to unit power (eq. 11) → W̃_m [B, K·N_T·2]          (eq. 16)
 *   2. it sends an `UploadMessage` {W̃_m, H_m, G_m, Ĩ_m} to the `CentralServer`
 *   3. the server aggregates H, G, Ĩ and W, computes L = ρL_c + (1−ρ)L_s   (eqs. 13–15, 17)
 *      and ∂L/∂W̃_m for every m, and sends each BS a `GradientMessage`
 *   4. each party back-propagates ∂L/∂W̃_m through its own model only — the gradient of
 *      sum(W̃_m(ω_m) ⊙ ∂L/∂W̃_m) with respect to ω_m, evaluated with the SAME dropout masks as in
 *      step 1 (the forward pass is recomputed on the party's own tape) — then adds the coupled
 *      weight decay λω_m and takes an Adam step                                  (eq. 18)
 * This equals back-propagating the global loss through the merged model (tested).
 *
 * Bytes: every message carries its size as float32 on the wire (8 bytes per complex entry).
 * Per BS per sample: upload W̃_m (K·N_T) + H_m (M·K·N_T) + G_m (M·J·N_T) + Ĩ_m (J·J·N_T) complex,
 * download ∂L/∂W̃_m (K·N_T) complex. The paper's count (Sec. III-D), (M+1)·K·N_T, is the W̃_m and
 * H_m part; `paperUnitsPerSample` gives it for comparison.
 *
 * Per-cell DL (`interCell: false`): the same loop with every inter-cell term removed from the
 * loss; the loss is then a sum of per-cell losses, each a function of one W_m and of its own
 * cell's channels only, so each BS in effect trains alone (no message leaves a BS: the bytes are 0).
 */
import type { Optimizer, Sequential, Tensor, Variable } from '@tensorflow/tfjs';
import { dropoutMask } from './mlp.ts';
import { isacLoss, isacRates, normalisePowerTf, type IsacBatch } from './isac-loss.ts';
import { sizes, type IsacDims } from './dataset.ts';
import { streamFor, type Rng } from '../phy/random.ts';

export type Tf = typeof import('@tensorflow/tfjs');

const BYTES_PER_COMPLEX = 8;

export interface UploadMessage {
  from: number;
  /** [B, K·N_T·2] normalised beamformers (detached from the party's graph). */
  W: Tensor;
  /** [B, numUsers, N_T·2] H_m */ H: Tensor;
  /** [B, numTargets, N_T·2] G_m (channels acting on W_m) */ G: Tensor;
  /** [B, J, J, N_T·2] Ĩ of BS m's targets */ I: Tensor;
  bytes: number;
}

export interface GradientMessage {
  to: number;
  /** [B, K·N_T·2] ∂L/∂W̃_m */
  dW: Tensor;
  bytes: number;
}

interface SavedForward {
  /** input of each Dense layer */ inputs: Tensor[];
  /** leaky'(z)·mask of each hidden layer */ gates: Tensor[];
  /** [B, 1] ‖raw‖ */ norm: Tensor;
  /** [B, 2·K·N_T] W̃ */ W: Tensor;
}

export interface PartyConfig {
  bs: number;
  learningRate?: number;
  weightDecay?: number;
  /** Seed of this party's dropout stream. */
  seed: number;
}

/** One BS: its model, its optimiser, its dropout stream. Its features stay with it. */
export class BsParty {
  readonly bs: number;
  readonly optimizer: Optimizer;
  private readonly variables: Variable[];
  private readonly weightDecay: number;
  private dropoutRng: Rng;
  private readonly rates: number[];
  private pendingSeeds: number[] = [];
  private saved?: SavedForward;
  private readonly leakyAlpha: number;

  constructor(
    private readonly tf: Tf,
    readonly model: Sequential,
    cfg: PartyConfig,
  ) {
    this.bs = cfg.bs;
    this.weightDecay = cfg.weightDecay ?? 1e-6;
    // Adam as in Kingma & Ba (β1 0.9, β2 0.999, ε 1e-8), lr 1e-4 (Table I).
    this.optimizer = tf.train.adam(cfg.learningRate ?? 1e-4, 0.9, 0.999, 1e-8);
    this.variables = model.trainableWeights.map((w) => w.read() as Variable);
    this.dropoutRng = streamFor(cfg.seed, `vfl:dropout:${cfg.bs}`);
    const leaky = model.layers.find((l) => l.getClassName() === 'LeakyReLU');
    this.leakyAlpha = leaky ? (leaky.getConfig() as { alpha: number }).alpha : 0.2;
    if (model.layers.some((l) => !['Dense', 'LeakyReLU', 'Dropout'].includes(l.getClassName()))) {
      throw new Error('BsParty: the model must be made of Dense, LeakyReLU and Dropout layers (createMlp)');
    }
    this.rates = model.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => (l.getConfig() as { rate: number }).rate);
  }

  /** Restarts the dropout stream (per epoch, so that a resumed run draws the same masks). */
  reseed(seed: number, epoch: number): void {
    this.dropoutRng = streamFor(seed, `vfl:dropout:${this.bs}:${epoch}`);
  }

  /** Training-mode forward with the given dropout seeds, normalised (eq. 11). */
  forwardTrain(x: Tensor, seeds: number[]): Tensor {
    const tf = this.tf;
    let h = x;
    let d = 0;
    for (const layer of this.model.layers) {
      if (layer.getClassName() === 'Dropout') {
        const rate = this.rates[d];
        const seed = seeds[d++];
        if (rate > 0) h = tf.mul(h, tf.tensor(dropoutMask(h.size, rate, seed), h.shape, 'float32'));
      } else {
        h = layer.apply(h, { training: true }) as Tensor;
      }
    }
    return normalisePowerTf(tf, h);
  }

  /** Inference-mode forward (no dropout), normalised. */
  forward(x: Tensor): Tensor {
    const tf = this.tf;
    return tf.tidy(() => normalisePowerTf(tf, this.model.predict(x) as Tensor));
  }

  /** Step 1–2: forward on the local batch (activations kept for step 4) and the upload message. */
  upload(x: Tensor, local: { H: Tensor; G: Tensor; I: Tensor }, countBytes = true): UploadMessage {
    this.pendingSeeds = this.rates.map(() => this.dropoutRng.int(0x7fffffff));
    this.releaseSaved();
    this.saved = this.forwardSaved(x, this.pendingSeeds);
    const W = this.saved.W.clone();
    const B = x.shape[0];
    const complexPerSample = (W.shape[1] as number) / 2 + local.H.size / B / 2 + local.G.size / B / 2 + local.I.size / B / 2;
    return { from: this.bs, W, H: local.H, G: local.G, I: local.I, bytes: countBytes ? B * complexPerSample * BYTES_PER_COMPLEX : 0 };
  }

  /**
   * Training forward that keeps what back-propagation needs: each Dense layer's input, the
   * LeakyReLU slopes (α or 1) times the dropout mask, the output norm and W̃. Same numbers as
   * `forwardTrain` (tested through the merged-model test).
   */
  private forwardSaved(x: Tensor, seeds: number[]): SavedForward {
    const tf = this.tf;
    return tf.tidy(() => {
      const inputs: Tensor[] = [];
      const gates: Tensor[] = [];
      let h = x;
      let d = 0;
      const dense = this.denseLayers();
      dense.forEach((l, i) => {
        inputs.push(h);
        const z = tf.add(tf.matMul(h, l.kernel), l.bias);
        if (i === dense.length - 1) {
          h = z;
          return;
        }
        // leaky'(z) = α + (1 − α)·step(z), times the inverted-dropout mask
        let gate = tf.add(tf.mul(tf.step(z), 1 - this.leakyAlpha), this.leakyAlpha);
        const rate = this.rates[d];
        const seed = seeds[d++];
        if (rate > 0) gate = tf.mul(gate, tf.tensor(dropoutMask(z.size, rate, seed), z.shape, 'float32'));
        gates.push(gate);
        h = tf.mul(z, gate);
      });
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(h), -1, true), 1e-12));
      const W = tf.div(h, norm);
      return { inputs, gates, norm, W };
    }) as unknown as SavedForward;
  }

  private denseLayers(): Array<{ kernel: Tensor; bias: Tensor }> {
    return this.model.layers.filter((l) => l.getClassName() === 'Dense').map((l) => {
      const [kernel, bias] = l.trainableWeights.map((w) => w.read());
      return { kernel, bias };
    });
  }

  private releaseSaved(): void {
    if (!this.saved) return;
    const s = this.saved;
    // inputs[0] is the caller's batch x: not ours to free
    this.tf.dispose([...s.inputs.slice(1), ...s.gates, s.norm, s.W]);
    this.saved = undefined;
  }

  /**
   * ∂/∂ω_m of sum(W̃_m ⊙ dW) with the activations and dropout masks of the last upload: explicit
   * back-propagation through eq. 11 and the Dense/LeakyReLU/dropout chain (one backward pass, no
   * second forward). Returned in the order of the model's trainable weights.
   */
  gradients(_x: Tensor, dW: Tensor): Tensor[] {
    const tf = this.tf;
    const s = this.saved;
    if (!s) throw new Error(`party ${this.bs}: gradients before upload`);
    const dense = this.denseLayers();
    const grads: Tensor[] = new Array(2 * dense.length);
    // W = r/‖r‖ ⇒ ∂/∂r = (dW − W·⟨W, dW⟩)/‖r‖
    let delta = tf.div(tf.sub(dW, tf.mul(s.W, tf.sum(tf.mul(s.W, dW), -1, true))), s.norm);
    for (let l = dense.length - 1; l >= 0; l--) {
      grads[2 * l] = tf.matMul(s.inputs[l], delta, true, false);
      grads[2 * l + 1] = tf.sum(delta, 0);
      if (l > 0) delta = tf.mul(tf.matMul(delta, dense[l].kernel, false, true), s.gates[l - 1]);
    }
    return grads;
  }

  /** Steps 4: back-propagation through the own model and an Adam step. */
  update(x: Tensor, msg: GradientMessage): void {
    const tf = this.tf;
    tf.tidy(() => {
      const grads = this.gradients(x, msg.dW);
      this.optimizer.applyGradients(
        this.variables.map((v, i) => ({
          name: v.name,
          tensor: this.weightDecay > 0 ? tf.add(grads[i], tf.mul(v, this.weightDecay)) : grads[i],
        })),
      );
    });
    this.releaseSaved();
  }

  dispose(): void {
    this.releaseSaved();
    this.optimizer.dispose();
  }
}

export interface ServerResult {
  loss: number;
  downloads: GradientMessage[];
}

/** The central server: aggregates the uploads, computes the global loss and the per-BS gradients. */
export class CentralServer {
  constructor(
    private readonly tf: Tf,
    readonly dims: IsacDims,
    readonly rho: number,
    readonly interCell = true,
  ) {}

  /** The global channels of a batch, assembled from the uploads (ordered by BS). */
  aggregate(uploads: UploadMessage[]): IsacBatch {
    const tf = this.tf;
    const byBs = [...uploads].sort((a, b) => a.from - b.from);
    return {
      H: tf.stack(byBs.map((u) => u.H), 1), // [B, M, U, 2N_T]
      G: tf.stack(byBs.map((u) => u.G), 2), // [B, T, M, 2N_T]
      I: tf.concat(byBs.map((u) => u.I), 1), // [B, T, J, 2N_T]
    };
  }

  step(uploads: UploadMessage[]): ServerResult {
    const tf = this.tf;
    const d = this.dims;
    const byBs = [...uploads].sort((a, b) => a.from - b.from);
    const B = byBs[0].W.shape[0];
    const K = d.usersPerCell;
    const nt = d.numTxAnt;
    const { value, grads } = tf.tidy(() => {
      const batch = this.aggregate(byBs);
      const f = (...Ws: Tensor[]) => {
        const W = tf.reshape(tf.stack(Ws, 1), [B, d.numBs, K, 2 * nt]);
        return isacLoss(tf, d, batch, W, this.rho, this.interCell);
      };
      const r = tf.valueAndGrads(f)(byBs.map((u) => u.W));
      return { value: r.value, grads: r.grads };
    });
    const loss = value.dataSync()[0];
    value.dispose();
    const bytes = this.interCell ? B * K * nt * BYTES_PER_COMPLEX : 0;
    return { loss, downloads: byBs.map((u, i) => ({ to: u.from, dW: grads[i], bytes })) };
  }

  /** R_c, R_s per sample for given (inference-mode) beamformers (true network metrics unless `interCell` is false). */
  rates(batch: IsacBatch, Ws: Tensor[], interCell = true): { rc: Float32Array; rs: Float32Array } {
    const tf = this.tf;
    const d = this.dims;
    const B = Ws[0].shape[0];
    const [rc, rs] = tf.tidy(() => {
      const r = isacRates(tf, d, batch, tf.reshape(tf.stack(Ws, 1), [B, d.numBs, d.usersPerCell, 2 * d.numTxAnt]), interCell);
      return [r.rc, r.rs];
    });
    const out = { rc: rc.dataSync() as Float32Array, rs: rs.dataSync() as Float32Array };
    rc.dispose();
    rs.dispose();
    return out;
  }
}

/** Complex numbers per BS per sample as the paper counts them: (M+1)·K·N_T. */
export function paperUnitsPerSample(d: IsacDims): number {
  return (d.numBs + 1) * d.usersPerCell * d.numTxAnt;
}

/** Bytes this implementation exchanges per BS per sample (upload + download), float32 complex. */
export function bytesPerBsPerSample(d: IsacDims): { upload: number; download: number } {
  const z = sizes(d);
  const K = d.usersPerCell;
  const J = d.targetsPerCell;
  const nt = d.numTxAnt;
  return { upload: (K + z.numUsers + z.numTargets + J * J) * nt * BYTES_PER_COMPLEX, download: K * nt * BYTES_PER_COMPLEX };
}
