/**
 * Paper 001's per-AP networks (Table 1 of Elrashidy, Masood, Nasir; readings of
 * ../shared/papers/notes/paper-001.md §4.3), built from stock tf.layers so that a saved model
 * loads with no custom class:
 *
 *   cnn1d  input (13): 2M(N+1) values as a sequence [2M(N+1), 1]; conv1d c1, c2, c3 with 2, 4, 8
 *          channels, filter 11, no padding, each + BatchNorm + LeakyReLU; flatten; fc1, fc2 with
 *          90 units + LeakyReLU; linear 90 → 2M(N+1) head (notes §8 item 10). N = 5, M = 16:
 *          192 → 2×182 → 4×172 → 8×162 → 1296 → 90 → 90 → 192, 143 k parameters.
 *   cae    input (14) as NHWC [N+1, M, 2]; encoder conv 'valid' (3,5) 16, (2,5) 32, (1,3) 64,
 *          (1,3) 128; decoder transposed convs with the mirrored kernels: cat(e4, e4) → 64,
 *          cat e3 → 32, cat e2 → 16, cat e1 → 2 (linear), back to [N+1, M, 2]. Every layer but
 *          the last has BatchNorm + LeakyReLU; the concatenated maps are the post-activation
 *          ones. Needs N ≥ 3 (rows N+1 → N−1 → N−2).
 *   unet   the same 4 + 4 layout with size-preserving ('same') f×f convolutions, F3 / F5 / F7
 *          (f = 3, 5, 7); linear 32 → 2 head. N = 5, M = 16: 293 k parameters at F3, 810 k at F5.
 *
 * LeakyReLU slope 0.01 and glorot-uniform initialisation from `seed` (notes §4.3 [R]). The
 * BatchNorm layers are `batchNormalizationLayer` (closed-form training gradient, stock class in
 * the saved file) unless `batchNorm: 'stock'`.
 *
 * `loadApNet` reads a saved model strictly: a layer class not in `AP_NET_LAYER_CLASSES` is refused
 * with a message naming it and the layer, before tfjs builds anything.
 */
import type { io, LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { batchNormalizationLayer } from './batchnorm.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export type ApNetKind = 'cnn1d' | 'cae' | 'unet';

export interface ApNetSpec {
  kind: ApNetKind;
  /** Communication users N (the input has N + 1 rows: the users and the target). */
  users: number;
  /** Antennas per AP, M. */
  antennas: number;
  /** U-Net filter size f (F3, F5, F7); default 3. Ignored by the other kinds. */
  filter?: 3 | 5 | 7;
  /** Seed of the first layer's initialiser; layer k uses seed + k. Default 1. */
  seed?: number;
  /** 'fused' (default): batchNormalizationLayer; 'stock': tf.layers.batchNormalization. */
  batchNorm?: 'fused' | 'stock';
  /** LeakyReLU slope, default 0.01. */
  leakyAlpha?: number;
}

/** Layer classes a paper-001 network file may contain (tfjs class names). */
export const AP_NET_LAYER_CLASSES = [
  'InputLayer',
  'Reshape',
  'Conv1D',
  'Conv2D',
  'Conv2DTranspose',
  'BatchNormalization',
  'LeakyReLU',
  'Concatenate',
  'Flatten',
  'Dense',
] as const;

/** Raised for a spec or a model file this module does not accept; the message names the cause. */
export class ApNetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApNetError';
  }
}

/** Input shape of one sample (without the batch axis). */
export function apNetInputShape(spec: ApNetSpec): number[] {
  return spec.kind === 'cnn1d' ? [2 * spec.antennas * (spec.users + 1)] : [spec.users + 1, spec.antennas, 2];
}

function checkSpec(spec: ApNetSpec): void {
  const { kind, users, antennas } = spec;
  if (kind !== 'cnn1d' && kind !== 'cae' && kind !== 'unet') throw new ApNetError(`ap-net kind must be cnn1d, cae or unet, got '${String(kind)}'`);
  if (!Number.isInteger(users) || users < 1) throw new ApNetError(`ap-net users (N) must be an integer ≥ 1, got ${users}`);
  if (!Number.isInteger(antennas) || antennas < 1) throw new ApNetError(`ap-net antennas (M) must be an integer ≥ 1, got ${antennas}`);
  if (kind === 'cnn1d' && 2 * antennas * (users + 1) < 31) {
    throw new ApNetError(`cnn1d needs 2M(N+1) ≥ 31 inputs for three filters of 11 without padding, got ${2 * antennas * (users + 1)}`);
  }
  if (kind === 'cae' && (users < 3 || antennas < 13)) {
    throw new ApNetError(`cae needs N ≥ 3 and M ≥ 13 for its unpadded (3,5), (2,5), (1,3), (1,3) encoder, got N = ${users}, M = ${antennas}`);
  }
  if (kind === 'unet' && ![3, 5, 7].includes(spec.filter ?? 3)) throw new ApNetError(`unet filter must be 3, 5 or 7, got ${spec.filter}`);
}

/** Builds the network (weights from `spec.seed`). */
export function buildApNet(tf: Tf, spec: ApNetSpec): LayersModel {
  checkSpec(spec);
  let seed = spec.seed ?? 1;
  const alpha = spec.leakyAlpha ?? 0.01;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const bnAct = (x: SymbolicTensor): SymbolicTensor => {
    const bn = spec.batchNorm === 'stock' ? tf.layers.batchNormalization() : batchNormalizationLayer(tf);
    return tf.layers.leakyReLU({ alpha }).apply(bn.apply(x)) as SymbolicTensor;
  };
  const cat = (a: SymbolicTensor, b: SymbolicTensor) => tf.layers.concatenate({ axis: -1 }).apply([a, b]) as SymbolicTensor;
  const input = tf.input({ shape: apNetInputShape(spec) });
  let out: SymbolicTensor;
  if (spec.kind === 'cnn1d') {
    const length = apNetInputShape(spec)[0];
    let h = tf.layers.reshape({ targetShape: [length, 1] }).apply(input) as SymbolicTensor;
    for (const filters of [2, 4, 8]) {
      h = bnAct(tf.layers.conv1d({ filters, kernelSize: 11, padding: 'valid', kernelInitializer: init() }).apply(h) as SymbolicTensor);
    }
    h = tf.layers.flatten().apply(h) as SymbolicTensor;
    for (let k = 0; k < 2; k++) {
      h = tf.layers.leakyReLU({ alpha }).apply(tf.layers.dense({ units: 90, kernelInitializer: init() }).apply(h)) as SymbolicTensor;
    }
    out = tf.layers.dense({ units: length, kernelInitializer: init() }).apply(h) as SymbolicTensor;
  } else {
    const f = spec.filter ?? 3;
    const kernels: Array<[number, number]> = spec.kind === 'cae' ? [[3, 5], [2, 5], [1, 3], [1, 3]] : [[f, f], [f, f], [f, f], [f, f]];
    const padding = spec.kind === 'cae' ? 'valid' : 'same';
    const conv = (x: SymbolicTensor, filters: number, k: [number, number], transposed: boolean): SymbolicTensor => {
      const cfg = { filters, kernelSize: k, padding, kernelInitializer: init() } as const;
      return (transposed ? tf.layers.conv2dTranspose(cfg) : tf.layers.conv2d(cfg)).apply(x) as SymbolicTensor;
    };
    const e1 = bnAct(conv(input, 16, kernels[0], false));
    const e2 = bnAct(conv(e1, 32, kernels[1], false));
    const e3 = bnAct(conv(e2, 64, kernels[2], false));
    const e4 = bnAct(conv(e3, 128, kernels[3], false));
    const d1 = bnAct(conv(cat(e4, e4), 64, kernels[3], true));
    const d2 = bnAct(conv(cat(d1, e3), 32, kernels[2], true));
    const d3 = bnAct(conv(cat(d2, e2), 16, kernels[1], true));
    out = conv(cat(d3, e1), 2, kernels[0], true);
  }
  return tf.model({ inputs: input, outputs: out, name: `ap_${spec.kind}` });
}

/** Layer class names in a saved topology (tfjs `model.json` modelTopology), in order. */
function layerClasses(topology: unknown): Array<{ className: string; name: string }> {
  const t = topology as { model_config?: { config?: { layers?: unknown[] } }; config?: { layers?: unknown[] } } | null;
  const layers = t?.model_config?.config?.layers ?? t?.config?.layers;
  if (!Array.isArray(layers)) throw new ApNetError('ap-net model file: modelTopology has no model_config.config.layers list');
  return layers.map((l, i) => {
    const entry = l as { class_name?: unknown; config?: { name?: unknown } };
    if (typeof entry.class_name !== 'string') throw new ApNetError(`ap-net model file: layer ${i} has no class_name`);
    return { className: entry.class_name, name: typeof entry.config?.name === 'string' ? entry.config.name : `#${i}` };
  });
}

/**
 * Loads a paper-001 network saved by `model.save` (any tfjs IOHandler), refusing a file with a
 * layer class outside `AP_NET_LAYER_CLASSES` (named in the message, with the layer's name) before
 * any layer is built. `where` names the file in messages.
 */
export async function loadApNet(tf: Tf, handler: io.IOHandler, where = 'model'): Promise<LayersModel> {
  if (handler.load === undefined) throw new ApNetError(`${where}: the handler cannot load`);
  const artifacts = await handler.load();
  const allowed = new Set<string>(AP_NET_LAYER_CLASSES);
  for (const { className, name } of layerClasses(artifacts.modelTopology)) {
    if (!allowed.has(className)) {
      throw new ApNetError(`${where}: layer '${name}' has class '${className}', which a paper-001 network does not use (allowed: ${AP_NET_LAYER_CLASSES.join(', ')})`);
    }
  }
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
