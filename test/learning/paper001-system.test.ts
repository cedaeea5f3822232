/**
 * Paper 001's system (src/learning/paper001/system.ts, data.ts, baselines.ts): channels from
 * positions (eq. 4), SINR (eq. 2) and SSNR (eq. 6) through the twin's metrics against numpy
 * (test/fixtures/paper001/metrics.json, scripts/ref/paper001_reference.py) and against closed
 * forms (one user orthogonal to the target; the sensing bound), the losses.ts tf versions on the
 * dataset's fields, the sample generator (layouts, determinism, prefix, float32 fields), and the
 * baselines (MRT, ZF: every SINR equal, per-AP power).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { commSinrTf, multistaticSnrTf, normalisePerAp } from '../../src/learning/losses.ts';
import { labelledDataset, sampleField } from '../../src/learning/labels.ts';
import { mrtBeams, zfBeams } from '../../src/learning/paper001/baselines.ts';
import { instanceOfSample, NO_LABEL, paper001Generator, paper001Samples } from '../../src/learning/paper001/data.ts';
import {
  beamsFromDense,
  denseFromBeams,
  instanceFromAngles,
  instanceFromPositions,
  paper001Config,
  Paper001Evaluator,
  ssnrBound,
} from '../../src/learning/paper001/system.ts';
import { paper001Scene } from '../../src/learning/paper001/teachers.ts';
import { czeros } from '../../src/phy/complex.ts';
import type { Beamformers } from '../../src/phy/network.ts';
import { close, relativeError, testRng } from '../helpers.ts';

interface MetricsInstance {
  layout: string;
  numUsers: number;
  pos: number[];
  phi: number[];
  H: number[];
  A: number[];
  W: number[];
  sinr: number[];
  minSinr: number;
  ssnr: number;
  nullSpaceBeam: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/paper001/metrics.json', import.meta.url), 'utf8')) as { instances: MetricsInstance[] };

let tf: Tf;
test.before(async () => {
  tf = (await initBackend('cpu')).tf;
});

/** Fixture beams [L, N+1, M] → Beamformers. */
function fixtureBeams(N: number, W: number[]): Beamformers {
  const per = 2 * (N + 1) * 16;
  return [0, 1].map((l) => Float64Array.from(W.slice(l * per, (l + 1) * per)));
}

test('channels from positions equal numpy (eq. 4, atan2 from the AP, cos in the phase)', () => {
  for (const inst of fixture.instances) {
    const cfg = paper001Config(inst.numUsers);
    const got = instanceFromPositions(cfg, inst.pos);
    assert.ok(relativeError(got.phiRad, inst.phi) < 1e-14, `${inst.layout} N=${inst.numUsers}: angles`);
    assert.ok(relativeError(got.H, inst.H) < 1e-12, `${inst.layout} N=${inst.numUsers}: H`);
    assert.ok(relativeError(got.A, inst.A) < 1e-12, `${inst.layout} N=${inst.numUsers}: a(θ)`);
  }
});

test('SINR (eq. 2, coherent over the APs) and SSNR (eq. 6) of random beams equal numpy', () => {
  for (const inst of fixture.instances) {
    const N = inst.numUsers;
    const cfg = paper001Config(N);
    const ev = new Paper001Evaluator(cfg);
    const v = ev.evaluate(instanceFromPositions(cfg, inst.pos), fixtureBeams(N, inst.W));
    assert.ok(relativeError(v.sinr, inst.sinr) < 1e-12, `${inst.layout} N=${N}: SINR ${Array.from(v.sinr)} vs ${inst.sinr}`);
    close(v.minSinr, inst.minSinr, 1e-12, 'min-SINR');
    close(v.ssnr, inst.ssnr, 1e-12, 'SSNR');
    for (const p of v.apPowerW) close(p, 1, 1e-12, 'per-AP power');
  }
});

test('one user orthogonal to the target at both APs: SINR and SSNR in closed form', () => {
  // a(φ)ᴴa(φ') = 0 when cos φ − cos φ' = 2k/M (λ = ½), k ≠ 0 mod M: here 0.125 and 0.25
  const cfg = paper001Config(1);
  const inst = instanceFromAngles(cfg, [Math.acos(0.1), Math.acos(0.225), Math.acos(-0.3), Math.acos(-0.05)]);
  let ip = 0;
  for (let l = 0; l < 2; l++) {
    let re = 0;
    let im = 0;
    for (let k = 0; k < 16; k++) {
      const [hr, hi, ar, ai] = [inst.H[2 * (l * 16 + k)], inst.H[2 * (l * 16 + k) + 1], inst.A[2 * (l * 16 + k)], inst.A[2 * (l * 16 + k) + 1]];
      re += hr * ar + hi * ai;
      im += hr * ai - hi * ar;
    }
    ip = Math.max(ip, Math.hypot(re, im));
  }
  assert.ok(ip < 1e-12, `h ⊥ a at both APs (|hᴴa| = ${ip})`);
  // AP l: user beam √p_l h/‖h‖, sensing beam √(1−p_l) a/‖a‖ (‖h‖ = ‖a‖ = 4)
  const p = [0.25, 0.64];
  const W = p.map((pl, l) => {
    const Wl = czeros(2 * 16);
    for (let k = 0; k < 32; k++) {
      Wl[k] = (Math.sqrt(pl) / 4) * inst.H[l * 32 + k];
      Wl[32 + k] = (Math.sqrt(1 - pl) / 4) * inst.A[l * 32 + k];
    }
    return Wl;
  });
  const v = new Paper001Evaluator(cfg).evaluate(inst, W);
  // SINR = (Σ_l √p_l ‖h_l‖)² / σ² = 16 (0.5 + 0.8)² = 27.04; SSNR = 0.1 Σ_l (1 − p_l) ‖a_l‖² = 1.6 (0.75 + 0.36)
  close(v.sinr[0], 27.04, 1e-12, 'SINR');
  close(v.ssnr, 1.776, 1e-12, 'SSNR');
});

test('SSNR bound c·M·Σ_l P_l = 3.2: reached by every beam ∥ a(θ_l), never exceeded', () => {
  const cfg = paper001Config(5);
  assert.is(ssnrBound(cfg), 0.1 * 16 * 2);
  const ev = new Paper001Evaluator(cfg);
  const ds = paper001Samples(cfg, 'pos-2', 20, 4);
  const rng = testRng('p001-bound');
  for (let i = 0; i < ds.n; i++) {
    const inst = instanceOfSample(cfg, ds, i);
    const along = [0, 1].map((l) => {
      const Wl = czeros(6 * 16);
      const share = [0.1, 0.3, 0.05, 0.2, 0.15, 0.2]; // any split of P_l over the 6 beams, any phases
      for (let q = 0; q < 6; q++) {
        const ph = rng.between(0, 2 * Math.PI);
        const s = Math.sqrt(share[q]) / 4;
        for (let k = 0; k < 16; k++) {
          const ar = inst.A[2 * (l * 16 + k)];
          const ai = inst.A[2 * (l * 16 + k) + 1];
          Wl[2 * (q * 16 + k)] = s * (ar * Math.cos(ph) - ai * Math.sin(ph));
          Wl[2 * (q * 16 + k) + 1] = s * (ar * Math.sin(ph) + ai * Math.cos(ph));
        }
      }
      return Wl;
    });
    close(ev.evaluate(inst, along).ssnr, 3.2, 1e-12, 'SSNR of beams along a(θ_l)');
    const random = [0, 1].map(() => {
      const Wl = czeros(6 * 16);
      rng.complexNormal(Wl);
      let s = 0;
      for (const x of Wl) s += x * x;
      return Wl.map((x) => x / Math.sqrt(s));
    });
    assert.ok(ev.evaluate(inst, random).ssnr < 3.2, 'random beams stay below the bound');
  }
});

test('losses.ts on the dataset fields (float32 tf) equals the twin metrics on the rebuilt float64 instance', () => {
  for (const N of [2, 5, 8]) {
    const cfg = paper001Config(N);
    const ds = paper001Samples(cfg, N === 5 ? 'pos-1' : 'pos-2', 6, 11);
    const ev = new Paper001Evaluator(cfg);
    const rng = testRng(`p001-tf-${N}`);
    const per = 2 * 2 * (N + 1) * 16;
    const raw = new Float32Array(ds.n * per);
    for (let i = 0; i < raw.length; i++) raw[i] = rng.normal();
    const scene = paper001Scene(cfg);
    const { sinr, snr, W } = tf.tidy(() => {
      const Wn = normalisePerAp(tf, scene, tf.tensor4d(raw, [ds.n, 2, N + 1, 32]));
      return {
        W: Wn.dataSync() as Float32Array,
        sinr: commSinrTf(tf, scene, tf.tensor4d(ds.data.H, [ds.n, 2, N, 32]), Wn).dataSync(),
        snr: multistaticSnrTf(tf, tf.tensor4d(ds.data.G, [ds.n, 1, 2, 32]), Wn).dataSync(),
      };
    });
    for (let i = 0; i < ds.n; i++) {
      const v = ev.evaluate(instanceOfSample(cfg, ds, i), beamsFromDense(cfg, W, i * per));
      assert.ok(relativeError(sinr.subarray(i * N, (i + 1) * N), v.sinr) < 2e-5, `N=${N} sample ${i}: SINR`);
      close(snr[i], v.ssnr, 2e-5, `N=${N} sample ${i}: SSNR`);
    }
  }
});

test('generator: layouts as §7, deterministic, a prefix for more samples, float32 images of the float64 channels', () => {
  const cfg = paper001Config(5);
  const a = paper001Samples(cfg, 'pos-1', 30, 7);
  const b = paper001Samples(cfg, 'pos-1', 50, 7);
  assert.equal(Array.from(a.data.H), Array.from(b.data.H.subarray(0, a.data.H.length)), 'prefix');
  assert.equal(Array.from(paper001Samples(cfg, 'pos-1', 30, 7).data.pos), Array.from(a.data.pos), 'same seed, same bytes');
  assert.not.equal(Array.from(paper001Samples(cfg, 'pos-1', 30, 8).data.pos), Array.from(a.data.pos), 'another seed');
  const p2 = paper001Samples(cfg, 'pos-2', 200, 7);
  for (const [ds, layout] of [
    [a, 'pos-1'],
    [p2, 'pos-2'],
  ] as const) {
    for (let i = 0; i < ds.n; i++) {
      const pos = sampleField(ds, 'pos', i);
      for (let q = 0; q < 6; q++) {
        assert.ok(pos[2 * q] >= 0 && pos[2 * q] < 100, 'x in [0, 100)');
        const y = pos[2 * q + 1];
        // §7: pos-1 every agent at y = 50 m; pos-2 the users 3 m beside the 20 m road
        if (layout === 'pos-1') assert.is(y, 50);
        else if (q < 5) assert.is(y, 23);
        else assert.ok(y >= 0 && y < 20, 'target on the road');
      }
      const inst = instanceOfSample(cfg, ds, i);
      assert.equal(Array.from(sampleField(ds, 'H', i)), Array.from(Float32Array.from(inst.H)), 'H = fround(float64 channels)');
      const G = sampleField(ds, 'G', i);
      for (let k = 0; k < G.length; k++) assert.is(G[k], Math.fround(Math.sqrt(0.1) * inst.A[k]));
    }
  }
  // the target's y spreads over the road: mean ≈ 10
  let my = 0;
  for (let i = 0; i < p2.n; i++) my += sampleField(p2, 'pos', i)[11] / p2.n;
  assert.ok(Math.abs(my - 10) < 1.5, `pos-2 target mean y ${my}`);
  assert.throws(() => paper001Generator(cfg, 'pos-3' as 'pos-1'), /layout must be one of pos-1, pos-2, got pos-3/);
  // through labels.ts: the hash follows the layout and N
  const h = (layout: 'pos-1' | 'pos-2', n: number) => labelledDataset({ generator: paper001Generator(paper001Config(n), layout), label: NO_LABEL, n: 2, seed: 1 }).dataset.hash;
  assert.is.not(h('pos-1', 5), h('pos-2', 5));
  assert.is.not(h('pos-1', 5), h('pos-1', 2));
});

test('MRT: equal power over the N+1 beams; ZF: every SINR equal, no interference, the most loaded AP at ρP_l', () => {
  for (const N of [2, 5, 8]) {
    const cfg = paper001Config(N);
    const ev = new Paper001Evaluator(cfg);
    const ds = paper001Samples(cfg, 'pos-2', 8, 21);
    for (let i = 0; i < ds.n; i++) {
      const p = ev.problem(instanceOfSample(cfg, ds, i));
      const mrt = mrtBeams(p);
      for (let l = 0; l < 2; l++) {
        for (let q = 0; q <= N; q++) {
          let s = 0;
          for (let k = 0; k < 32; k++) s += mrt[l][q * 32 + k] ** 2;
          close(s, 1 / (N + 1), 1e-12, 'MRT beam power');
        }
      }
      for (const rho of [0.5, 1]) {
        const zf = zfBeams(p, rho);
        const v = ev.evaluate(p, zf);
        for (const s of v.sinr) close(s, v.minSinr, 1e-6, 'ZF SINRs equal');
        // comm power per AP ≤ ρP, one AP at exactly ρP; sensing (1−ρ)P
        const comm = zf.map((Wl) => {
          let s = 0;
          for (let k = 0; k < 2 * N * 16; k++) s += Wl[k] ** 2;
          return s;
        });
        close(Math.max(...comm), rho, 1e-9, 'ZF comm power');
        for (let l = 0; l < 2; l++) close(v.apPowerW[l] - comm[l], 1 - rho, 1e-9, 'sensing power');
      }
      // round trip dense ↔ Beamformers
      assert.equal(Array.from(denseFromBeams(cfg, mrt)), Array.from(Float32Array.from(mrt.flatMap((w) => Array.from(w)))));
    }
  }
});

test.run();
