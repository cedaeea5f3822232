/**
 * The channel model itself (src/phy/channel.ts), against hand computations on positions chosen
 * here: the path gain β = (λ/4πd₀)² (d/d₀)^(−η_c) (and its clamp below minDistanceM), the Rician
 * split of h = √β (√(v/(1+v)) a(θ) e^{−j2πd/λ} + √(1/(1+v)) h^NLOS) averaged over fading draws
 * (E|h|² = β, E h = the LoS part), the echo |α|² = λ²σ/(4π)³ d^(−2η_s) with phase e^{−j2π·2d/λ},
 * every AP's distance and angle to every target, and nearest-image distances on a torus area.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChannelModel, echoGain, pathGain, type ChannelParams } from '../../src/phy/channel.ts';
import type { Population } from '../../src/phy/mobility.ts';
import type { Topology } from '../../src/phy/network.ts';
import { streamFor } from '../../src/phy/random.ts';
import { close, scenario } from '../helpers.ts';

const C = 299792458;

/** |got/want − 1| ≤ tol: gains are ~1e-12, where the helpers' absolute floor would accept anything. */
function rel(got: number, want: number, tol: number, what = ''): void {
  assert.ok(want !== 0 && Math.abs(got / want - 1) <= tol, `${what} expected ${want}, got ${got} (relative tol ${tol})`);
}

/** Nodes at fixed positions, at rest (all ChannelModel reads of a Population). */
function fixed(posM: number[][]): Population {
  const p = Float64Array.from(posM.flat());
  return { posM: p, size: posM.length, speed: () => 0 } as unknown as Population;
}

const PARAMS: ChannelParams = {
  ricianK: 3,
  commPathLossExp: 3.6,
  sensPathLossExp: 2.2,
  bsBsPathLossExp: 3,
  refDistanceM: 10,
  minDistanceM: 5,
  fading: { model: 'block', coherenceSlots: 1, sinusoids: 16 },
  rcsM2: 1.5,
};

/** Two BSs at (0, 0) and (1000, 0), broadside +y, 4 antennas, 3.5 GHz; 2 users and 1 target per cell. */
const MULTICELL = `
name: ch
topology: { numCells: 2, layout: explicit, bsPositionsM: [[0, 0], [1000, 0]], numTxAnt: 4, numRxAnt: 4, arrayBroadsideDeg: 90 }
users: { perCell: 2 }
targets: { perCell: 1 }
channel: { carrierHz: 3.5e9 }
`;
const USERS = [[120, 50], [-3, 2], [900, -200], [1400, 300]]; // user 1 is 3.6 m from BS 0: clamped to 5 m
const TARGETS = [[60, 80], [1100, -150]];

/** Angle from broadside (+y, azimuth π/2) of (dx, dy), in (−π, π]. */
function fromBroadside(dx: number, dy: number, broadsideRad: number): number {
  let a = Math.atan2(dy, dx) - broadsideRad;
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a <= -Math.PI) a += 2 * Math.PI;
  return a;
}

function setup(yaml = MULTICELL, users = USERS, targets = TARGETS, params = PARAMS): { topo: Topology; model: ChannelModel; u: Population; t: Population } {
  const topo = scenario(yaml).topology;
  const model = new ChannelModel(topo, params, 1e-3, streamFor(11, 'fading'));
  const u = fixed(users);
  const t = fixed(targets);
  model.update(u, t, 0);
  return { topo, model, u, t };
}

test('path gain: (λ/4πd₀)² (d/d₀)^(−η) by hand, per BS and user, clamped below minDistanceM', () => {
  const { topo, model } = setup();
  const lambda = C / 3.5e9;
  close(topo.lambdaM, lambda, 1e-15, 'λ');
  // The exported law at one distance, written out: λ = 0.08565 m, d₀ = 10 m, d = 250 m, η = 3.6.
  rel(pathGain(250, lambda, 3.6, 10), (lambda / (4 * Math.PI * 10)) ** 2 * 25 ** -3.6, 1e-12);
  rel(pathGain(10, lambda, 3.6, 10), (lambda / (40 * Math.PI)) ** 2, 1e-12, 'free space at d₀');
  for (let m = 0; m < 2; m++) {
    for (let k = 0; k < USERS.length; k++) {
      const d = Math.max(5, Math.hypot(USERS[k][0] - topo.bsPosM[2 * m], USERS[k][1] - topo.bsPosM[2 * m + 1]));
      const beta = (lambda / (4 * Math.PI * 10)) ** 2 * (d / 10) ** -3.6;
      rel(model.state.gain[m * topo.numUsers + k], beta, 1e-12, `β BS ${m} user ${k} at ${d.toFixed(1)} m`);
    }
  }
  // 1 m apart in 100 m: the ratio is (101/100)^−3.6 exactly.
  rel(pathGain(101, lambda, 3.6, 10) / pathGain(100, lambda, 3.6, 10), (101 / 100) ** -3.6, 1e-12);
});

test('Rician split over fading draws: E|h|² = β, E h = √(βv/(1+v)) a(θ) e^{−j2πd/λ} (LoS share v/(1+v))', () => {
  const { topo, model, u, t } = setup();
  const { numBs, numUsers, numTxAnt: nt, lambdaM, broadsideRad } = topo;
  const N = 4000;
  const n = numBs * numUsers * nt;
  const sum = new Float64Array(2 * n);
  const pow = new Float64Array(n);
  for (let s = 0; s < N; s++) {
    if (s > 0) model.update(u, t, s); // block fading, coherence 1 slot: a fresh NLOS draw per slot
    const H = model.state.H;
    for (let i = 0; i < n; i++) {
      sum[2 * i] += H[2 * i];
      sum[2 * i + 1] += H[2 * i + 1];
      pow[i] += H[2 * i] ** 2 + H[2 * i + 1] ** 2;
    }
  }
  const v = PARAMS.ricianK;
  let powRatio = 0;
  let losShare = 0;
  let worstMean = 0;
  for (let m = 0; m < numBs; m++) {
    for (let k = 0; k < numUsers; k++) {
      const beta = model.state.gain[m * numUsers + k];
      const dx = USERS[k][0] - topo.bsPosM[2 * m];
      const dy = USERS[k][1] - topo.bsPosM[2 * m + 1];
      const d = Math.max(5, Math.hypot(dx, dy));
      const theta = fromBroadside(dx, dy, broadsideRad);
      for (let a = 0; a < nt; a++) {
        const i = (m * numUsers + k) * nt + a;
        powRatio += pow[i] / N / beta;
        const [mr, mi] = [sum[2 * i] / N, sum[2 * i + 1] / N];
        losShare += (mr * mr + mi * mi) / beta;
        // LoS entry a: √(βv/(1+v)) e^{jπ a sin θ} e^{−j2πd/λ}
        const ph = Math.PI * a * Math.sin(theta) - (2 * Math.PI * d) / lambdaM;
        const amp = Math.sqrt((beta * v) / (1 + v));
        worstMean = Math.max(worstMean, Math.hypot(mr - amp * Math.cos(ph), mi - amp * Math.sin(ph)) / Math.sqrt(beta));
      }
    }
  }
  // 32 entries × 4000 draws: the sd of the mean |h|²/β is ≈ 0.002, of the LoS share ≈ 0.002, of one
  // entry's mean ≈ √(0.25/4000) = 0.008 (relative to √β); the tolerances are ≥ 5 sd.
  powRatio /= n;
  losShare /= n;
  close(powRatio, 1, 0.01, 'E|h|²/β');
  close(losShare, v / (1 + v), 0.012, '|E h|²/β (LoS share)');
  assert.ok(worstMean < 0.045, `E h vs the LoS vector by hand: worst relative error ${worstMean}`);
});

test('echo: |α|² = λ²σ/(4π)³ d^(−2η_s), phase −2π·2d/λ, from the sensing BS; every AP’s distance and angle to every target', () => {
  const { topo, model } = setup();
  const { numBs, numTargets: T, lambdaM, broadsideRad } = topo;
  const st = model.state;
  rel(echoGain(200, lambdaM, 1.5, 2.2), (lambdaM ** 2 * 1.5) / (4 * Math.PI) ** 3 * 200 ** -4.4, 1e-12);
  for (let t = 0; t < T; t++) {
    for (let m = 0; m < numBs; m++) {
      const dx = TARGETS[t][0] - topo.bsPosM[2 * m];
      const dy = TARGETS[t][1] - topo.bsPosM[2 * m + 1];
      close(st.apTargetDistM[m * T + t], Math.hypot(dx, dy), 1e-12, `d AP ${m} target ${t}`);
      close(st.apTargetThetaRad[m * T + t], fromBroadside(dx, dy, broadsideRad), 1e-12, `θ AP ${m} target ${t}`);
    }
    const m = topo.targetBs[t];
    assert.is(m, t, 'target t is sensed by BS t here (its nearest)');
    const d = Math.hypot(TARGETS[t][0] - topo.bsPosM[2 * m], TARGETS[t][1] - topo.bsPosM[2 * m + 1]);
    close(st.targetDistM[t], d, 1e-12);
    const g = ((lambdaM * lambdaM * 1.5) / (4 * Math.PI) ** 3) * d ** (-2 * 2.2);
    const [ar, ai] = [st.targetAlpha[2 * t], st.targetAlpha[2 * t + 1]];
    rel(ar * ar + ai * ai, g, 1e-12, `|α_${t}|²`);
    const ph = (-2 * Math.PI * 2 * d) / lambdaM;
    // the phase, relative to |α|: α / |α| = e^{jφ}
    close(ar / Math.sqrt(g), Math.cos(ph), 1e-9, 'Re α/|α|');
    close(ai / Math.sqrt(g), Math.sin(ph), 1e-9, 'Im α/|α|');
  }
});

test('torus area: path gains and target distances use the nearest image of every node', () => {
  const yaml = `
name: torus
topology:
  kind: cell-free
  numTxAnt: 2
  numRxAnt: 2
  cellFree: { numAps: 4, areaM: 1000, apLayout: grid, wrapAround: true }
association: { mode: all }
users: { perCell: 3, placement: { model: uniform-in-area, minDistanceM: 10 } }
targets: { perCell: 1, placement: { model: uniform-in-area, minDistanceM: 10 } }
`;
  const users = [[-480, -470], [450, -10], [0, 0]];
  const targets = [[490, 490]];
  const { topo, model } = setup(yaml, users, targets);
  assert.ok(topo.area?.wrap, 'a wrap-around area');
  assert.equal(Array.from(topo.bsPosM), [-250, -250, 250, -250, -250, 250, 250, 250]);
  const L = 1000;
  const img = (d: number) => d - L * Math.round(d / L);
  const lambda = topo.lambdaM;
  let shorter = 0;
  for (let m = 0; m < 4; m++) {
    const [bx, by] = [topo.bsPosM[2 * m], topo.bsPosM[2 * m + 1]];
    for (let k = 0; k < users.length; k++) {
      const plain = Math.hypot(users[k][0] - bx, users[k][1] - by);
      const d = Math.max(5, Math.hypot(img(users[k][0] - bx), img(users[k][1] - by)));
      if (d < plain - 1) shorter++;
      rel(model.state.gain[m * topo.numUsers + k], (lambda / (4 * Math.PI * 10)) ** 2 * (d / 10) ** -3.6, 1e-12, `β AP ${m} user ${k}`);
    }
    const dT = Math.hypot(img(targets[0][0] - bx), img(targets[0][1] - by));
    close(model.state.apTargetDistM[m], dT, 1e-12, `d AP ${m} target`);
  }
  // e.g. AP 3 at (250, 250) and user 0 at (−480, −470): 1030 m across the square, 370 m around it.
  close(model.state.apTargetDistM[0], Math.hypot(260, 260), 1e-12, 'AP 0 sees the target around both edges');
  assert.ok(shorter >= 4, `${shorter} links shorter around the torus than across the square`);
});

test.run();
