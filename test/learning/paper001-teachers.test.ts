/**
 * Paper 001's teachers (src/learning/paper001/teachers.ts), per-sample Adam on loss (10) over the
 * per-AP normalised beams (eqs. 17–18): the SSNR teacher reaches the closed-form optimum
 * c·M·Σ_l P_l = 3.2 on every sample; the SINR teacher beats MRT and full-power ZF on the same
 * samples and stays below (and within 1 % of) the exact full-power max-min SINR of the bisection
 * + SDP solver; teacher datasets go through labels.ts (same labels from the cache, hashed by the
 * teacher and its options). Runs on wasm (skipped visibly where it cannot load).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendName, initBackend, type BackendName, type Tf } from '../../src/learning/backend.ts';
import { mrtBeams, zfBeams } from '../../src/learning/paper001/baselines.ts';
import { instanceOfSample, paper001Samples } from '../../src/learning/paper001/data.ts';
import { beamsFromDense, paper001Config, Paper001Evaluator } from '../../src/learning/paper001/system.ts';
import { optimiseTeacher, SINR_TEACHER, SSNR_TEACHER, teacherDataset, teacherDatasetCached, teacherValueOf } from '../../src/learning/paper001/teachers.ts';
import { bisectMaxMinSinr } from '../../src/solvers/bisection-sdp.ts';
import { close } from '../helpers.ts';

const T = suite('learning/paper001-teachers');

let wasmError: string | null = null;
try {
  await initBackend('wasm');
} catch (error) {
  wasmError = (error as Error).message;
  console.warn(`paper001-teachers: wasm backend unavailable, tests skipped: ${wasmError}`);
}
const wasmTest = wasmError === null ? T : T.skip;

let tf: Tf;
let before: BackendName | null = null;
const dirs: string[] = [];
T.before(async () => {
  before = backendName() as BackendName | null;
  if (wasmError === null) tf = (await initBackend('wasm')).tf;
});
T.after(async () => {
  if (before) await initBackend(before);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

wasmTest('SSNR teacher (β = 0) reaches the closed-form optimum 3.2 = c·M·Σ_l P_l on every sample', () => {
  for (const [N, layout] of [
    [2, 'pos-1'],
    [5, 'pos-2'],
  ] as const) {
    const cfg = paper001Config(N);
    const ds = paper001Samples(cfg, layout, 8, 5);
    const r = optimiseTeacher(tf, cfg, ds.data.H, ds.data.G, SSNR_TEACHER);
    const ev = new Paper001Evaluator(cfg);
    const per = 2 * (N + 1) * 32;
    for (let i = 0; i < ds.n; i++) {
      const v = ev.evaluate(instanceOfSample(cfg, ds, i), beamsFromDense(cfg, r.W, i * per));
      close(v.ssnr, 3.2, 2e-6, `N=${N} sample ${i}: SSNR`);
      for (const p of v.apPowerW) close(p, 1, 1e-6, 'per-AP power (eq. 17)');
    }
  }
});

wasmTest('SINR teacher (β = 1): above MRT and full-power ZF, below and within 1 % of the exact max-min SINR', () => {
  for (const [N, layout] of [
    [2, 'pos-2'],
    [5, 'pos-1'],
  ] as const) {
    const cfg = paper001Config(N);
    const ev = new Paper001Evaluator(cfg);
    const ds = paper001Samples(cfg, layout, 4, 9);
    const r = optimiseTeacher(tf, cfg, ds.data.H, ds.data.G, SINR_TEACHER);
    const per = 2 * (N + 1) * 32;
    let ratio = 0;
    for (let i = 0; i < ds.n; i++) {
      const p = ev.problem(instanceOfSample(cfg, ds, i));
      const v = ev.evaluate(p, beamsFromDense(cfg, r.W, i * per));
      const mrt = ev.evaluate(p, mrtBeams(p)).minSinr;
      const zf = ev.evaluate(p, zfBeams(p, 1)).minSinr;
      // the full-power max-min SINR (no sensing power): step A at ρ = 1, to 1e-3
      const ceiling = bisectMaxMinSinr(p, { rho: 1, tol: 1e-3 });
      assert.ok(v.minSinr > Math.max(mrt, zf), `N=${N} sample ${i}: teacher ${v.minSinr} vs MRT ${mrt}, ZF ${zf}`);
      assert.ok(v.minSinr <= ceiling.bracket[1], `N=${N} sample ${i}: teacher ${v.minSinr} above the optimum ${ceiling.bracket[1]}`);
      ratio += v.minSinr / ceiling.gammaHigh! / ds.n;
      close(r.objective[i], v.minSinr, 1e-4, 'the reported objective is the float64 min-SINR (to float32)');
    }
    assert.ok(ratio > 0.99, `N=${N}: mean teacher / optimum ${ratio}`);
  }
});

wasmTest('teacher datasets through labels.ts: labels of the optimiser, cached by hash, other options another hash', () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'p001-teachers-'));
  dirs.push(cacheDir);
  const cfg = paper001Config(2);
  const o = { config: cfg, layout: 'pos-1' as const, teacher: 'ssnr' as const, n: 6, seed: 3, options: { ...SSNR_TEACHER, steps: 60 }, cacheDir };
  assert.not.ok(teacherDatasetCached(o));
  const first = teacherDataset(tf, o);
  assert.not.ok(first.cached);
  assert.ok(teacherDatasetCached(o));
  const again = teacherDataset(tf, o);
  assert.ok(again.cached);
  assert.equal(Array.from(again.dataset.labels), Array.from(first.dataset.labels));
  const direct = optimiseTeacher(tf, cfg, first.dataset.data.H, first.dataset.data.G, o.options);
  assert.equal(Array.from(first.dataset.labels), Array.from(direct.W), 'labels = the optimiser on the same samples');
  const ev = new Paper001Evaluator(cfg);
  for (let i = 0; i < 6; i++) assert.ok(teacherValueOf(ev, first.dataset, i).value.ssnr > 3, 'SSNR teacher labels sense');
  assert.not.ok(teacherDatasetCached({ ...o, options: { ...o.options, steps: 61 } }), 'other options, other hash');
  assert.not.ok(teacherDatasetCached({ ...o, teacher: 'sinr' }), 'other teacher, other hash');
});

T.run();
