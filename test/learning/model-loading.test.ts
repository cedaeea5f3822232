/**
 * Strict loading: a model file whose layers or activations the MLP loader does not implement is
 * refused with a message naming the layer (before, denseLayersFrom skipped every non-Dense layer,
 * so a saved conv net would load and compute something else). And the family registry.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { denseLayersFrom, ModelLoadError } from '../../src/learning/inference.ts';
import type { ModelJson } from '../../src/learning/model-store.ts';
import { FamilyRegistry } from '../../src/learning/families.ts';
import { builtinFamilies } from '../../src/learning/policies.ts';

type L = { class_name: string; config: Record<string, unknown> };

/** A Sequential model file of `layers` with Dense weights of the given [in, out] shapes. */
function modelOf(layers: L[], dense: Array<[string, number, number]>): { json: ModelJson; weightData: ArrayBuffer } {
  const weights = dense.flatMap(([name, i, o]) => [
    { name: `${name}/kernel`, shape: [i, o], dtype: 'float32' as const },
    { name: `${name}/bias`, shape: [o], dtype: 'float32' as const },
  ]);
  const n = dense.reduce((s, [, i, o]) => s + i * o + o, 0);
  const data = Float32Array.from({ length: n }, (_, k) => k / n);
  return {
    json: { modelTopology: { class_name: 'Sequential', config: { layers } }, weightsManifest: [{ paths: ['weights.bin'], weights }] },
    weightData: data.buffer,
  };
}

const dense = (name: string, activation = 'linear'): L => ({ class_name: 'Dense', config: { name, activation, use_bias: true } });
const leaky = (name: string, alpha = 0.1): L => ({ class_name: 'LeakyReLU', config: { name, alpha } });

test('a Dense / LeakyReLU / Dropout chain loads with its slope and shapes', () => {
  const { json, weightData } = modelOf([dense('h0'), leaky('a0'), { class_name: 'Dropout', config: { name: 'd0' } }, dense('out')], [['h0', 3, 4], ['out', 4, 2]]);
  const { layers, leakyAlpha } = denseLayersFrom(json, weightData);
  assert.equal(layers.map((l) => [l.inDim, l.outDim]), [[3, 4], [4, 2]]);
  assert.is(leakyAlpha, 0.1);
  assert.equal(Array.from(layers[1].bias), Array.from(new Float32Array(weightData).subarray(12 + 4 + 8, 12 + 4 + 8 + 2)));
});

test('layers the loader does not implement are refused, naming the layer', () => {
  const refuse = (layers: L[], shapes: Array<[string, number, number]>, message: RegExp) => {
    const { json, weightData } = modelOf(layers, shapes);
    assert.throws(() => denseLayersFrom(json, weightData), (e: unknown) => e instanceof ModelLoadError && message.test((e as Error).message));
  };
  refuse([{ class_name: 'Conv1D', config: { name: 'conv_0' } }, dense('out')], [['out', 4, 2]], /^layer 0 "conv_0" is a Conv1D, which the MLP loader does not implement \(it reads Dense, LeakyReLU, Dropout\)$/);
  refuse([dense('h0', 'relu'), dense('out')], [['h0', 3, 4], ['out', 4, 2]], /^layer 0 "h0": Dense activation "relu" is not implemented/);
  refuse([dense('h0'), dense('out')], [['h0', 3, 4], ['out', 4, 2]], /^layer 1 "out": two Dense layers without a LeakyReLU between them$/);
  refuse([dense('h0'), leaky('a0', 0.1), dense('h1'), leaky('a1', 0.2), dense('out')], [['h0', 3, 4], ['h1', 4, 4], ['out', 4, 2]], /LeakyReLU slopes differ between layers \(0\.1, 0\.2\)$/);
  refuse([dense('h0'), leaky('a0')], [['h0', 3, 4]], /^the last layer "a0" is a LeakyReLU/);
  refuse([dense('h0'), leaky('a0'), dense('out')], [['h0', 3, 4], ['out', 5, 2]], /^Dense layer 1 takes 5 inputs but layer 0 gives 4$/);
  const fn = modelOf([dense('out')], [['out', 4, 2]]);
  (fn.json.modelTopology as { class_name: string }).class_name = 'Model';
  assert.throws(() => denseLayersFrom(fn.json, fn.weightData), /reads Sequential models; this one is a Model/);
});

test('the family registry: built-ins, their layer classes, and no family registered twice', () => {
  const reg = builtinFamilies();
  assert.equal(reg.names(), ['vfl', 'percell', 'gnn']);
  assert.equal(reg.get('vfl')!.layerClasses, ['Dense', 'LeakyReLU', 'Dropout']);
  assert.ok(builtinFamilies() !== reg, 'a fresh registry each time (no module-level singleton)');
  const r = new FamilyRegistry().register(reg.get('vfl')!);
  assert.throws(() => r.register(reg.get('vfl')!), /model family "vfl" is registered twice/);
});

test.run();
