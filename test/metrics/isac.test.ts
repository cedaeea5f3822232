import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros, norm2 } from '../../src/phy/complex.ts';
import { steeringInto } from '../../src/phy/geometry.ts';
import {
  commSinrInto,
  emptySensingChannels,
  emptySlotMetrics,
  evaluateInto,
  normalisePower,
  NumericalError,
  sensingChannelsInto,
  sensingSinrInto,
} from '../../src/metrics/isac.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { close, randomChannels, smallTopology, testRng } from '../helpers.ts';
import type { CsiView } from '../../src/policies/types.ts';

const policies = builtinPolicies();

test('single user, single cell, MRT: SINR = P‖h‖²/σ²', () => {
  const topo = smallTopology({ numBs: 1, K: 1, nt: 8, powerW: 2.5, noiseW: 0.1 });
  const H = randomChannels(topo, testRng('h'));
  const view = { owner: 0, H, known: Uint8Array.of(1) } as unknown as CsiView;
  const W = policies.resolve({ name: 'mrt', params: {} }, topo);
  const w = W.scope === 'distributed' ? W.decide(0, view, { topo, rho: 1, slot: 0, rng: testRng('p') }) : assert.unreachable();
  const sinr = new Float64Array(1);
  commSinrInto(sinr, topo, H, [w as Float64Array]);
  close(sinr[0], (2.5 * norm2(H)) / 0.1, 1e-12, 'MRT SINR');
});

/** Straightforward implementation of eq. (6) with explicit sums, for comparison. */
function naiveSinr(topo: ReturnType<typeof smallTopology>, H: Float64Array, W: Float64Array[], u: number): number {
  const nt = topo.numTxAnt;
  const gain = (m: number, k: number) => {
    let re = 0;
    let im = 0;
    for (let i = 0; i < nt; i++) {
      const h = [H[2 * ((m * topo.numUsers + u) * nt + i)], H[2 * ((m * topo.numUsers + u) * nt + i) + 1]];
      const w = [W[m][2 * (k * nt + i)], W[m][2 * (k * nt + i) + 1]];
      re += h[0] * w[0] + h[1] * w[1];
      im += h[0] * w[1] - h[1] * w[0];
    }
    return re * re + im * im;
  };
  const b = topo.userBs[u];
  const k = topo.userStream[u];
  let intra = 0;
  for (let l = 0; l < topo.servedUsers[b].length; l++) if (l !== k) intra += gain(b, l);
  let inter = 0;
  for (let n = 0; n < topo.numBs; n++) if (n !== b) for (let i = 0; i < topo.servedUsers[n].length; i++) inter += gain(n, i);
  return gain(b, k) / (intra + inter + topo.noiseCommW);
}

test('communication SINR equals an explicit implementation of eq. (6)', () => {
  const topo = smallTopology({ numBs: 3, K: 2, nt: 4 });
  const rng = testRng('eq6');
  const H = randomChannels(topo, rng);
  const W = topo.servedUsers.map(() => {
    const w = czeros(2 * 4);
    rng.complexNormal(w);
    return w;
  });
  const out = new Float64Array(topo.numUsers);
  commSinrInto(out, topo, H, W);
  for (let u = 0; u < topo.numUsers; u++) close(out[u], naiveSinr(topo, H, W, u), 1e-12, `user ${u}`);
});

test('sensing SINR: a lone target with CBF gets N_R·N_T·P·|α|²/σ_s² (MRC and array gains)', () => {
  const nt = 8;
  const topo = smallTopology({ numBs: 1, K: 2, J: 1, nt, nr: 6, powerW: 3, noiseW: 1e-3 });
  const theta = Float64Array.of(0.3);
  const alpha = Float64Array.of(0.02, -0.01);
  const sens = emptySensingChannels(topo);
  sensingChannelsInto(sens, topo, theta, alpha, czeros(36 * nt));
  const W = czeros(2 * nt);
  steeringInto(W, 0, nt, 0.3);
  steeringInto(W, nt, nt, 0.3);
  normalisePower(W, 3);
  const out = new Float64Array(1);
  sensingSinrInto(out, topo, sens, [W]);
  const a2 = 0.02 ** 2 + 0.01 ** 2;
  // desired N_R²|α|²‖aᴴW‖² = N_R²|α|² N_T P over noise N_R σ²
  close(out[0], (6 * a2 * nt * 3) / 1e-3, 1e-10);
});

test('sensing SINR counts other targets of the cell and other BSs’ beams as interference', () => {
  const nt = 4;
  const topo = smallTopology({ numBs: 2, K: 1, J: 2, nt, nr: 4, powerW: 1, noiseW: 1e-2 });
  const rng = testRng('sens');
  const theta = Float64Array.of(0.1, -0.7, 0.4, 1.0);
  const alpha = czeros(4);
  rng.complexNormal(alpha);
  const G = czeros(2 * 2 * 4 * nt);
  rng.complexNormal(G);
  for (let i = 0; i < 2 * 4 * nt; i++) G[i] = 0; // G_{0,0} = 0
  for (let i = 3 * 2 * 4 * nt; i < 4 * 2 * 4 * nt; i++) G[i] = 0; // G_{1,1} = 0
  const W = [czeros(nt), czeros(nt)];
  rng.complexNormal(W[0]);
  rng.complexNormal(W[1]);
  const sens = emptySensingChannels(topo);
  sensingChannelsInto(sens, topo, theta, alpha, G);
  const out = new Float64Array(4);
  sensingSinrInto(out, topo, sens, W);
  // explicit: target 0 at BS 0
  const steer = (th: number, n: number) => Array.from({ length: n }, (_, i) => [Math.cos(Math.PI * i * Math.sin(th)), Math.sin(Math.PI * i * Math.sin(th))]);
  const mul = (a: number[], b: number[]) => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
  const conj = (a: number[]) => [a[0], -a[1]];
  const aHw = (th: number, w: Float64Array) => steer(th, nt).reduce((s, a, i) => {
    const p = mul(conj(a), [w[2 * i], w[2 * i + 1]]);
    return [s[0] + p[0], s[1] + p[1]];
  }, [0, 0]);
  const abs2 = (a: number[]) => a[0] ** 2 + a[1] ** 2;
  const b0 = steer(0.1, 4);
  const b1 = steer(-0.7, 4);
  const bhb = b0.reduce((s, x, i) => { const p = mul(conj(x), b1[i]); return [s[0] + p[0], s[1] + p[1]]; }, [0, 0]);
  const desired = 16 * abs2([alpha[0], alpha[1]]) * abs2(aHw(0.1, W[0]));
  const intra = abs2(mul(bhb, [alpha[2], alpha[3]])) * abs2(aHw(-0.7, W[0]));
  // inter: b(θ0)ᴴ G_{1,0} W_1, G_{1,0} at block (n=1, m=0)
  const off = (1 * 2 + 0) * 4 * nt;
  let inter = [0, 0];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < nt; c++) {
      const g = [G[2 * (off + r * nt + c)], G[2 * (off + r * nt + c) + 1]];
      const p = mul(mul(conj(b0[r]), g), [W[1][2 * c], W[1][2 * c + 1]]);
      inter = [inter[0] + p[0], inter[1] + p[1]];
    }
  }
  close(out[0], desired / (intra + abs2(inter) + 4 * 1e-2), 1e-10);
});

test('power normalisation (eq. 11) meets the budget exactly', () => {
  const w = czeros(24);
  testRng('norm').complexNormal(w, 5);
  normalisePower(w, 0.7);
  close(norm2(w), 0.7, 1e-12);
});

test('a NaN in a metric is caught where it arises, naming the metric and slot', () => {
  const topo = smallTopology({ numBs: 1, K: 1, nt: 2 });
  const H = Float64Array.of(NaN, 0, 1, 0);
  const W = [Float64Array.of(1, 0, 0, 0)];
  assert.throws(
    () => evaluateInto(emptySlotMetrics(topo), topo, H, emptySensingChannels(topo), W, 0.5, 42),
    (e: unknown) => e instanceof NumericalError && (e as Error).message === 'userSinr[0] is NaN at slot 42',
  );
});

test.run();
