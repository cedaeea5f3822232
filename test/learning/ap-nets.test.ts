import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { io, LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../../src/learning/backend.ts';
import { backendFixture } from './backends.ts';
import { AP_NET_LAYER_CLASSES, ApNetError, apNetInputShape, buildApNet, loadApNet, type ApNetSpec } from '../../src/learning/layers/ap-nets.ts';
import { convKernelsActive, registerConvKernels, unregisterConvKernels } from '../../src/learning/layers/conv.ts';

const Nets = suite('learning/ap-nets');

let tf: Tf;
let convBefore = false;
const fx = backendFixture(Nets, {
  setUp: (t) => {
    convBefore = convKernelsActive(t).length > 0;
    registerConvKernels(t);
  },
  tearDown: (t) => {
    if (!convBefore) unregisterConvKernels(t);
  },
});
Nets.before(() => {
  tf = fx.tf;
});
const onBackends = fx.onBackends;

const PAPER = { users: 5, antennas: 16 };
const SPECS: ApNetSpec[] = [
  { kind: 'cnn1d', ...PAPER },
  { kind: 'cae', ...PAPER },
  { kind: 'unet', ...PAPER, filter: 3 },
  { kind: 'unet', ...PAPER, filter: 5 },
];
/** The smallest sizes each network accepts: the save/load round trip also trains on the cpu backend. */
const TINY: ApNetSpec[] = [
  { kind: 'cnn1d', users: 1, antennas: 8 },
  { kind: 'cae', users: 3, antennas: 13 },
  { kind: 'unet', users: 2, antennas: 4, filter: 3 },
  { kind: 'unet', users: 2, antennas: 4, filter: 5 },
];

/** Output shapes of every layer, from the notes' Table 1 readings (N = 5, M = 16, batch axis omitted). */
const EXPECTED: Record<string, { params: number; shapes: Record<string, number[]> }> = {
  cnn1d: {
    // 1×192 → 2×182 → 4×172 → 8×162 → 1296 → 90 → 90 → 192
    params: (11 * 1 * 2 + 2) + (11 * 2 * 4 + 4) + (11 * 4 * 8 + 8) + 4 * (2 + 4 + 8) + (1296 * 90 + 90) + (90 * 90 + 90) + (90 * 192 + 192),
    shapes: { Conv1D: [182, 2], 'Conv1D#2': [172, 4], 'Conv1D#3': [162, 8], Flatten: [1296], Dense: [90], 'Dense#2': [90], 'Dense#3': [192] },
  },
  cae: {
    params:
      (3 * 5 * 2 * 16 + 16) + (2 * 5 * 16 * 32 + 32) + (1 * 3 * 32 * 64 + 64) + (1 * 3 * 64 * 128 + 128) +
      (1 * 3 * 256 * 64 + 64) + (1 * 3 * 128 * 32 + 32) + (2 * 5 * 64 * 16 + 16) + (3 * 5 * 32 * 2 + 2) +
      4 * (16 + 32 + 64 + 128 + 64 + 32 + 16),
    // e1 4×12, e2 3×8, e3 3×6, e4 3×4; d1 3×6, d2 3×8, d3 4×12, d4 6×16
    shapes: { Conv2D: [4, 12, 16], 'Conv2D#2': [3, 8, 32], 'Conv2D#3': [3, 6, 64], 'Conv2D#4': [3, 4, 128], Conv2DTranspose: [3, 6, 64], 'Conv2DTranspose#2': [3, 8, 32], 'Conv2DTranspose#3': [4, 12, 16], 'Conv2DTranspose#4': [6, 16, 2] },
  },
};

/** Output shape of the k-th layer of each class, keyed 'Class', 'Class#2', ... */
function layerShapes(model: LayersModel): Record<string, number[]> {
  const seen = new Map<string, number>();
  const out: Record<string, number[]> = {};
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const k = (seen.get(cls) ?? 0) + 1;
    seen.set(cls, k);
    out[k === 1 ? cls : `${cls}#${k}`] = (layer.outputShape as number[]).slice(1);
  }
  return out;
}

Nets('the networks have the Table 1 shapes and parameter counts (N = 5, M = 16)', () => {
  for (const kind of ['cnn1d', 'cae'] as const) {
    const model = buildApNet(tf, { kind, ...PAPER });
    try {
      assert.is(model.countParams(), EXPECTED[kind].params, `${kind} parameters`);
      const shapes = layerShapes(model);
      for (const [key, shape] of Object.entries(EXPECTED[kind].shapes)) assert.equal(shapes[key], shape, `${kind} ${key}`);
    } finally {
      model.dispose();
    }
  }
  for (const f of [3, 5] as const) {
    const model = buildApNet(tf, { kind: 'unet', ...PAPER, filter: f });
    try {
      const convs = model.layers.filter((l) => l.getClassName().startsWith('Conv2D'));
      assert.equal(convs.map((l) => (l.outputShape as number[])[3]), [16, 32, 64, 128, 64, 32, 16, 2], `F${f} channels`);
      for (const l of convs) assert.equal((l.outputShape as number[]).slice(1, 3), [6, 16], `F${f} ${l.name} keeps 6×16`);
      // Conv weights f²·Cin·Cout + bias for the eight layers; BatchNorm 4 per channel on seven.
      const cin = [2, 16, 32, 64, 256, 128, 64, 32];
      const cout = [16, 32, 64, 128, 64, 32, 16, 2];
      const expected = cin.reduce((s, c, i) => s + f * f * c * cout[i] + cout[i], 0) + 4 * (16 + 32 + 64 + 128 + 64 + 32 + 16);
      assert.is(model.countParams(), expected, `F${f} parameters`);
    } finally {
      model.dispose();
    }
  }
});

Nets('spec errors name the field and the value', () => {
  const bad: Array<[ApNetSpec, RegExp]> = [
    [{ kind: 'cae', users: 2, antennas: 16 }, /cae needs N ≥ 3/],
    [{ kind: 'unet', users: 5, antennas: 16, filter: 4 as 3 }, /unet filter must be 3, 5 or 7, got 4/],
    [{ kind: 'gnn' as 'unet', users: 5, antennas: 16 }, /kind must be cnn1d, cae or unet, got 'gnn'/],
    [{ kind: 'unet', users: 0, antennas: 16 }, /users \(N\) must be an integer ≥ 1, got 0/],
  ];
  for (const [spec, pattern] of bad) {
    assert.throws(() => buildApNet(tf, spec), (e: Error) => e instanceof ApNetError && pattern.test(e.message), JSON.stringify(spec));
  }
});

async function saveToMemory(model: LayersModel): Promise<io.ModelArtifacts> {
  let saved: io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === null) throw new Error('nothing saved');
  return saved;
}

function sampleInput(spec: ApNetSpec, batch: number): Tensor {
  return tf.randomNormal([batch, ...apNetInputShape(spec)], 0, 1, 'float32', 7);
}

Nets('save → load → forward is bit for bit the trained model, for every network', async () => {
  await onBackends('save/load', async () => {
    for (const spec of TINY) {
      const model = buildApNet(tf, { ...spec, seed: 11 });
      const x = sampleInput(spec, 3);
      const target = tf.randomNormal(model.outputs[0].shape.map((d) => d ?? 3), 0, 1, 'float32', 8);
      const adam = tf.train.adam(0.01);
      try {
        // Two training steps move the weights and the BatchNorm moving statistics.
        for (let i = 0; i < 2; i++) {
          tf.tidy(() => {
            adam.minimize(() => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as Tensor) as never);
          });
        }
        const loaded = await loadApNet(tf, tf.io.fromMemory(await saveToMemory(model)), `${spec.kind} in memory`);
        try {
          const a = tf.tidy(() => Array.from((model.predict(x) as Tensor).dataSync()));
          const b = tf.tidy(() => Array.from((loaded.predict(x) as Tensor).dataSync()));
          assert.ok(a.every(Number.isFinite), `${spec.kind}: finite outputs`);
          assert.equal(b, a, `${spec.kind} F${spec.filter ?? ''}: reloaded forward bit-identical`);
        } finally {
          loaded.dispose();
        }
      } finally {
        adam.dispose();
        model.dispose();
        tf.dispose([x, target]);
      }
    }
  });
});

Nets('loading is strict: a layer class the networks do not use is refused, naming the layer and the class', async () => {
  const spec: ApNetSpec = { kind: 'unet', ...PAPER };
  const model = buildApNet(tf, spec);
  const artifacts = await saveToMemory(model);
  model.dispose();
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as { config: { layers: Array<{ class_name: string; config: { name: string } }> } };
  const victim = topology.config.layers.find((l) => l.class_name === 'LeakyReLU');
  assert.ok(victim !== undefined);
  victim.class_name = 'PReLU';
  const tampered = { ...artifacts, modelTopology: topology };
  try {
    await loadApNet(tf, tf.io.fromMemory(tampered), 'models/ap-unet/model.json');
    assert.unreachable('a PReLU layer must be refused');
  } catch (error) {
    assert.instance(error, ApNetError);
    const message = (error as Error).message;
    assert.ok(message.startsWith('models/ap-unet/model.json: '), message);
    assert.ok(message.includes(`layer '${victim.config.name}' has class 'PReLU'`), message);
  }
  // Every class the builder uses is in the allowed list.
  for (const s of SPECS) {
    const m = buildApNet(tf, s);
    for (const l of m.layers) assert.ok((AP_NET_LAYER_CLASSES as readonly string[]).includes(l.getClassName()), `${s.kind}: ${l.getClassName()} allowed`);
    m.dispose();
  }
});

Nets.run();
