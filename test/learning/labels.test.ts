/**
 * Labelled datasets (src/learning/labels.ts): reproducible bytes from a seed, hashes that follow
 * the label source, cache hits that do not recompute, corrupted files refused by name, and the
 * WMMSE label sources against the solvers and the twin's metrics.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  decodeLabelled,
  drawLabelled,
  encodeLabelled,
  iidGenerator,
  jtWmmseLabels,
  LabelCacheError,
  labelledDataset,
  labelledDatasetHash,
  sampleField,
  teacherLabels,
  wmmseLabels,
  type LabelledDatasetOptions,
  type SampleFields,
} from '../../src/learning/labels.ts';
import { packBeams, sceneOf } from '../../src/learning/losses.ts';
import { commSinrInto } from '../../src/metrics/isac.ts';
import { jtWmmse } from '../../src/solvers/jt-wmmse.ts';
import { wmmse } from '../../src/solvers/wmmse.ts';
import { networkTopology, smallTopology } from '../helpers.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'labels-test-'));
  dirs.push(d);
  return d;
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const spec = { numAps: 3, numUsers: 4, numTxAnt: 2, numTargets: 2, pathGainDb: [-6, 6] as [number, number] };

/** MRT-like teacher: conjugate of each user's channel from every AP, counted. */
function countingTeacher(scale = 1) {
  const calls = { n: 0 };
  const src = teacherLabels<SampleFields>('conj', { scale }, (s) => {
    calls.n++;
    return Float32Array.from(s.H, (v, i) => (i % 2 ? -v : v) * scale);
  });
  return { src, calls };
}

const opts = (label = countingTeacher().src, o: Partial<LabelledDatasetOptions> = {}): LabelledDatasetOptions => ({
  generator: iidGenerator(spec),
  label,
  n: 7,
  seed: 42,
  ...o,
});

test('same seed → identical bytes; another seed → other samples; n is a prefix', () => {
  const a = encodeLabelled(drawLabelled(opts()));
  const b = encodeLabelled(drawLabelled(opts()));
  assert.ok(a.equals(b));
  const c = drawLabelled(opts(undefined, { seed: 43 }));
  assert.not.equal(Array.from(c.data.H), Array.from(decodeLabelled(a).data.H), 'another seed draws other channels');
  const d5 = drawLabelled(opts(undefined, { n: 5 }));
  const d7 = decodeLabelled(a);
  assert.equal(Array.from(d5.data.H), Array.from(d7.data.H.subarray(0, d5.data.H.length)));
  assert.equal(d7.fields.map((f) => f.name), ['G', 'H', 'c', 'thetaRad']);
  assert.is(sampleField(d7, 'H', 0).length, 3 * 4 * 2 * 2);
});

test('encode → decode round-trip is exact', () => {
  const ds = drawLabelled(opts());
  const back = decodeLabelled(encodeLabelled(ds));
  assert.equal(back.fields, ds.fields);
  for (const f of ds.fields) assert.equal(Array.from(back.data[f.name]), Array.from(ds.data[f.name]));
  assert.equal(Array.from(back.labels), Array.from(ds.labels));
  assert.is(back.hash, ds.hash);
});

test('the hash follows the label source, its params, the generator spec, seed, n and code version', () => {
  const base = labelledDatasetHash(opts());
  assert.is(labelledDatasetHash(opts()), base);
  const topo = smallTopology({ numBs: 3, K: 1, nt: 2 });
  const others = [
    opts(countingTeacher(2).src),
    opts(teacherLabels('other', { scale: 1 }, (s) => s.H)),
    opts(wmmseLabels(topo, { maxIterations: 5, tolerance: 1e-6 })),
    opts(wmmseLabels(topo, { maxIterations: 6, tolerance: 1e-6 })),
    opts(undefined, { seed: 1 }),
    opts(undefined, { n: 8 }),
    opts(undefined, { codeVersion: 'v2' }),
    { ...opts(), generator: iidGenerator({ ...spec, pathGainDb: [-6, 7] }) },
  ].map(labelledDatasetHash);
  assert.is(new Set([base, ...others]).size, others.length + 1);
});

test('cache: a miss writes, a hit returns equal data without drawing or labelling again', () => {
  const cacheDir = tmp();
  const { src, calls } = countingTeacher();
  let draws = 0;
  const gen = iidGenerator(spec);
  const counted = { ...gen, draw: (...a: Parameters<typeof gen.draw>) => (draws++, gen.draw(...a)) };
  const first = labelledDataset({ ...opts(src), generator: counted, cacheDir });
  assert.is(first.cached, false);
  assert.is(calls.n, 7);
  assert.is(draws, 7);
  const second = labelledDataset({ ...opts(src), generator: counted, cacheDir });
  assert.is(second.cached, true);
  assert.is(second.file, first.file);
  assert.is(calls.n, 7, 'no label computed on a hit');
  assert.is(draws, 7, 'no sample drawn on a hit');
  assert.equal(Array.from(second.dataset.labels), Array.from(first.dataset.labels));
  assert.equal(Array.from(second.dataset.data.G), Array.from(first.dataset.data.G));
  // another label source misses
  const third = labelledDataset({ ...opts(countingTeacher(3).src), cacheDir });
  assert.is(third.cached, false);
  assert.is.not(third.file, first.file);
});

test('a corrupted cache file is refused with a message naming it', () => {
  const cacheDir = tmp();
  const { file } = labelledDataset({ ...opts(), cacheDir });
  const good = readFileSync(file!);
  const corruptions: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['flipped payload byte', (b) => { const c = Buffer.from(b); c[c.length - 3] ^= 0x40; return c; }, /checksum/],
    ['truncated', (b) => b.subarray(0, b.length - 10), /truncated/],
    ['bad magic', (b) => { const c = Buffer.from(b); c.write('XXXX', 0, 'latin1'); return c; }, /magic/],
    ['garbled header', (b) => { const c = Buffer.from(b); c[13] = 0x7b; c[14] = 0x7b; return c; }, /header/],
    ['empty', () => Buffer.alloc(0), /magic/],
  ];
  for (const [what, corrupt, why] of corruptions) {
    writeFileSync(file!, corrupt(good));
    try {
      labelledDataset({ ...opts(), cacheDir });
      assert.unreachable(`${what}: accepted`);
    } catch (e) {
      assert.instance(e, LabelCacheError, what);
      assert.ok((e as Error).message.includes(file!), `${what}: message names the file: ${(e as Error).message}`);
      assert.match((e as Error).message, why, what);
    }
  }
  // a valid file of another dataset under this name is refused too
  writeFileSync(file!, encodeLabelled(drawLabelled(opts(undefined, { seed: 5 }))));
  assert.throws(() => labelledDataset({ ...opts(), cacheDir }), (e: Error) => e instanceof LabelCacheError && /expected/.test(e.message));
});

test('WMMSE labels: the multicell solver\'s beams in the dense layout, sensing rows zero', () => {
  const topo = networkTopology({ numBs: 3, nt: 2, kind: 'multicell', userAps: [0, 1, 1, 2].map((m) => Int32Array.of(m)), sensingStreams: 1, noiseW: 0.1 });
  const wm = { maxIterations: 30, tolerance: 1e-9 };
  const ds = drawLabelled({ generator: iidGenerator({ numAps: 3, numUsers: 4, numTxAnt: 2 }), label: wmmseLabels(topo, wm), n: 3, seed: 1 });
  const scene = sceneOf(topo);
  for (let i = 0; i < ds.n; i++) {
    const H = Float64Array.from(sampleField(ds, 'H', i));
    const ref = wmmse(topo, H, wm).W;
    const lab = ds.labels.subarray(i * ds.labelSize, (i + 1) * ds.labelSize);
    const got = packBeams(scene, lab, topo.servedUsers);
    got.forEach((w, m) => w.forEach((v, j) => assert.ok(Math.abs(v - ref[m][j]) < 1e-6)));
    // sensing stream rows (s = 4) are zero
    for (let m = 0; m < 3; m++) for (let j = 0; j < 4; j++) assert.is(lab[(m * 5 + 4) * 4 + j], 0);
    // the label's SINRs are the solver's
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    commSinrInto(a, topo, H, packBeams(scene, lab, topo.apStreams));
    commSinrInto(b, topo, H, ref.map((w, m) => Float64Array.from({ length: topo.apStreams[m].length * 4 }, (_, j) => (j < w.length ? w[j] : 0))));
    a.forEach((v, u) => assert.ok(Math.abs(v - b[u]) <= 1e-5 * Math.max(1, b[u])));
  }
});

test('JT-WMMSE labels: user-centric problem, rows of non-serving APs zero', () => {
  const M = 3;
  const U = 2;
  const N = 2;
  const serving = Uint8Array.from([1, 0, 1, 1, 0, 1]);
  const problem = { numAps: M, numUsers: U, numTxAnt: N, serving, powerW: new Float64Array(M).fill(1), noiseW: 0.1 };
  const jo = { maxIterations: 20, tolerance: 1e-9 };
  const ds = drawLabelled({ generator: iidGenerator({ numAps: M, numUsers: U, numTxAnt: N }), label: jtWmmseLabels(problem, jo, 'H', U + 1), n: 2, seed: 3 });
  assert.is(ds.labelSize, M * (U + 1) * 2 * N);
  for (let i = 0; i < ds.n; i++) {
    const ref = jtWmmse({ ...problem, H: Float64Array.from(sampleField(ds, 'H', i)) }, jo).W;
    const lab = ds.labels.subarray(i * ds.labelSize, (i + 1) * ds.labelSize);
    for (let m = 0; m < M; m++) {
      for (let s = 0; s <= U; s++) {
        for (let j = 0; j < 2 * N; j++) {
          const v = lab[(m * (U + 1) + s) * 2 * N + j];
          if (s === U || !serving[m * U + s]) assert.is(v, 0);
          else assert.ok(Math.abs(v - ref[m][s * 2 * N + j]) < 1e-6);
        }
      }
    }
  }
});

test.run();
