/**
 * Paper 004's normalised channel (`channel.model: paper`; src/phy/paper-channel.ts and its branch
 * in phy/channel.ts): the topology's P_m = ΣP/M, σ², ς² and c_m = G_rx ζ²/ς²; h = the unit-variance
 * fading entry with no path loss; θ_m ~ U[lo, hi) from the array axis, redrawn exactly at the
 * block-fading drops; the steering convention a(θ)_k = e^{jπk cos θ}; the sampler's draw order;
 * and the validation of the paper block (bounds and cross-field rules, with the field named).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChannelModel, type ChannelParams } from '../../src/phy/channel.ts';
import type { Population } from '../../src/phy/mobility.ts';
import { axisSteeringInto, drawPaperSample, PAPER_CHANNEL, resolvePaperChannel } from '../../src/phy/paper-channel.ts';
import { streamFor } from '../../src/phy/random.ts';
import { multistaticGainsInto } from '../../src/metrics/isac.ts';
import { ScenarioError } from '../../src/scenario/load.ts';
import { close, scenario } from '../helpers.ts';

const PAPER = readFileSync(new URL('../../scenarios/paper004-m5.yaml', import.meta.url), 'utf8');

/** A small paper-mode scenario: M APs × N antennas, U users, T targets, with `channel` extra lines. */
function paperYaml(o: { M?: number; N?: number; U?: number; T?: number; channel?: string; sensing?: string; kind?: string } = {}): string {
  return `
name: paper-test
topology: { kind: ${o.kind ?? 'cell-free'}, numTxAnt: ${o.N ?? 4}, numRxAnt: ${o.N ?? 4}, cellFree: { numAps: ${o.M ?? 3}, areaM: 100 } }
users: { perCell: ${o.U ?? 2}, placement: { model: uniform-in-area, minDistanceM: 1 }, mobility: { model: static } }
targets: { perCell: ${o.T ?? 1}, placement: { model: uniform-in-area, minDistanceM: 1 }, mobility: { model: static } }
sensing: { ${o.sensing ?? 'receiveArrayGain: false'} }
channel:
  model: paper
${o.channel ?? ''}
`;
}

function fixed(posM: number[][]): Population {
  return { posM: Float64Array.from(posM.flat()), size: posM.length, speed: () => 0 } as unknown as Population;
}

const params = (fading: ChannelParams['fading']): ChannelParams => ({
  ricianK: 3,
  commPathLossExp: 3.6,
  sensPathLossExp: 2,
  bsBsPathLossExp: 3.6,
  refDistanceM: 1,
  minDistanceM: 1,
  fading,
  rcsM2: 1,
});

test('paper004-m5.yaml: P_m = 1/M, σ² = ς² = 0.1, c_m = ζ²/ς² = 10 (eq. 7 as printed), ×N_R with the receive gain', () => {
  const topo = scenario(PAPER, 'paper004-m5.yaml').topology;
  assert.is(topo.numBs, 5);
  assert.equal(Array.from(topo.powerW), [0.2, 0.2, 0.2, 0.2, 0.2]);
  assert.is(topo.noiseCommW, 0.1);
  assert.is(topo.noiseSensW, 0.1);
  assert.equal(topo.paperChannel, { sumPowerW: 1, noiseW: 0.1, radarNoiseW: 0.1, echoGain: 1, angleRad: [0, Math.PI / 2] });
  const c = new Float64Array(5);
  multistaticGainsInto(c, topo, new Float64Array(5).fill(123), 1, 2); // distances are ignored
  assert.equal(Array.from(c), [10, 10, 10, 10, 10]);
  // N_t Σ_m c_m P_m = 8 · 10 · 1 = 80, whatever M: here M = 7, and the receive-array gain on.
  const t7 = scenario(paperYaml({ M: 7, N: 8, sensing: 'receiveArrayGain: true', channel: '  paper: { sumPowerW: 2, noiseW: 0.5, echoGain: 3 }' })).topology;
  t7.powerW.forEach((p) => close(p, 2 / 7, 1e-15));
  assert.is(t7.noiseSensW, 0.5, 'ς² defaults to σ²');
  const c7 = new Float64Array(7);
  multistaticGainsInto(c7, t7, new Float64Array(7), 1, 2);
  c7.forEach((x) => close(x, (8 * 3) / 0.5, 1e-15));
});

test('the paper channel: h is the unit-variance fading entry (no path loss, β = 1), G = 0, E|h|² ≈ 1', () => {
  const s = scenario(paperYaml({ M: 3, N: 4, U: 2 }));
  const topo = s.topology;
  const model = new ChannelModel(topo, params({ model: 'block', coherenceSlots: 1, sinusoids: 16 }), 1e-3, streamFor(5, 'fading'));
  const users = fixed([[10, 10], [-20, 30]]);
  const targets = fixed([[5, 5]]);
  let sum2 = 0;
  let sumRe = 0;
  let n = 0;
  for (let slot = 0; slot < 400; slot++) {
    model.update(users, targets, slot);
    const st = model.state;
    assert.ok(st.gain.every((g) => g === 1), 'β = 1');
    for (let i = 0; i < st.H.length; i += 2) {
      sum2 += st.H[i] ** 2 + st.H[i + 1] ** 2;
      sumRe += st.H[i];
      n++;
    }
  }
  assert.ok(model.state.G.every((x) => x === 0), 'no AP–AP channel');
  // 400 drops × 24 entries: E|h|² = 1 with standard error 1/√9600 ≈ 0.010; 5σ bands.
  assert.ok(Math.abs(sum2 / n - 1) < 0.05, `E|h|² = ${sum2 / n}`);
  assert.ok(Math.abs(sumRe / n) < 5 * Math.sqrt(0.5 / n), `E Re h = ${sumRe / n}`);
});

test('θ ~ U[lo, hi) from the array axis per AP and target, stored from broadside; redrawn at every block drop only', () => {
  const s = scenario(paperYaml({ M: 4, T: 2, channel: '  paper: { angleDeg: [20, 50] }\n  fading: { model: block, coherenceSlots: 3 }' }));
  const topo = s.topology;
  const model = new ChannelModel(topo, params({ model: 'block', coherenceSlots: 3, sinusoids: 16 }), 1e-3, streamFor(9, 'fading'));
  const users = fixed([[10, 10], [-20, 30]]);
  const targets = fixed([[5, 5], [-30, -30]]);
  const angles: number[] = [];
  let prev = new Float64Array(0);
  for (let slot = 0; slot < 300; slot++) {
    model.update(users, targets, slot);
    const now = Float64Array.from(model.state.apTargetThetaRad);
    if (slot > 0) assert.is(slot % 3 === 0, now.some((x, i) => x !== prev[i]), `slot ${slot}: changed only at drops`);
    if (slot % 3 === 0) angles.push(...Array.from(now, (phi) => 90 - (phi * 180) / Math.PI)); // back to degrees from the axis
    prev = now;
  }
  // 100 drops × 8 (AP, target) pairs in [20, 50): Kolmogorov–Smirnov distance to U[20, 50) below
  // its 0.1 % critical value 1.95/√n.
  assert.ok(angles.every((a) => a >= 20 - 1e-12 && a < 50 + 1e-12), 'in range');
  const sorted = [...angles].sort((a, b) => a - b);
  const ks = Math.max(...sorted.map((a, i) => Math.max(Math.abs((i + 1) / sorted.length - (a - 20) / 30), Math.abs(i / sorted.length - (a - 20) / 30))));
  assert.ok(ks < 1.95 / Math.sqrt(sorted.length), `KS ${ks}`);
  // Static fading: the angles of the first drop stay for the run.
  const st = new ChannelModel(topo, params({ model: 'static', coherenceSlots: 1, sinusoids: 16 }), 1e-3, streamFor(9, 'fading'));
  st.update(users, targets, 0);
  const first = Float64Array.from(st.state.apTargetThetaRad);
  for (let slot = 1; slot < 30; slot++) st.update(users, targets, slot);
  assert.equal(Array.from(st.state.apTargetThetaRad), Array.from(first));
});

test('a(θ) = e^{jπk cos θ} from the axis (the authors’ convention), via the twin’s broadside steering', () => {
  const out = new Float64Array(2 * 8);
  for (const theta of [0, 0.3, Math.PI / 4, 1.2, Math.PI / 2 - 1e-9]) {
    axisSteeringInto(out, 0, 8, theta);
    for (let k = 0; k < 8; k++) {
      close(out[2 * k], Math.cos(Math.PI * k * Math.cos(theta)), 1e-14, `Re a_${k}(${theta})`);
      close(out[2 * k + 1], Math.sin(Math.PI * k * Math.cos(theta)), 1e-14, `Im a_${k}(${theta})`);
    }
  }
});

test('drawPaperSample: H (M·U·N complex normals, AP-major) first, then θ_1…θ_M uniform in [0, π/2)', () => {
  const s = drawPaperSample(streamFor(3, 'sample'), 3, 2, 4);
  const rng = streamFor(3, 'sample');
  const H = new Float64Array(2 * 3 * 2 * 4);
  rng.complexNormal(H);
  assert.equal(Array.from(s.H), Array.from(H));
  assert.equal(Array.from(s.thetaRad), [0, 1, 2].map(() => rng.between(0, Math.PI / 2)));
  assert.equal(resolvePaperChannel(undefined), PAPER_CHANNEL);
});

function problemAt(yaml: string): ScenarioError {
  try {
    scenario(yaml, 'p.yaml');
  } catch (e) {
    assert.instance(e, ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

test('validation: the paper block’s bounds and rules, each naming its field', () => {
  const cases: Array<[string, RegExp]> = [
    [paperYaml({ kind: 'multicell' }), /channel\.model: the paper channel \(paper 004\) is a cell-free model: set topology\.kind: cell-free \(got multicell\)/],
    [paperYaml({ sensing: 'geometry: monostatic' }), /sensing\.geometry: the paper channel senses multistatically/],
    [paperYaml({ channel: '  paper: { angleDeg: [50, 40] }' }), /channel\.paper\.angleDeg: \[lo, hi\) needs lo < hi, got \[50, 40\]/],
    [paperYaml({ channel: '  paper: { angleDeg: [0, 200] }' }), /channel\.paper\.angleDeg\[1\]: .*180/],
    [paperYaml({ channel: '  paper: { noiseW: 0 }' }), /channel\.paper\.noiseW: .*1e-12/],
    [paperYaml({ channel: '  paper: { sumPowerW: 1e7 }' }), /channel\.paper\.sumPowerW: .*1000000/],
    [paperYaml({ channel: '  paper: { echoGain: -1 }' }), /channel\.paper\.echoGain: /],
    [paperYaml({ channel: '  paper: { gain: 1 }' }), /channel\.paper.*gain/],
    [PAPER.replace('  model: paper\n', ''), /channel\.paper: is only read with channel\.model: paper/],
    [paperYaml().replace('model: paper', 'model: rayleigh'), /channel\.model: /],
  ];
  for (const [yaml, want] of cases) assert.match(problemAt(yaml).message, want);
  // The line of the field is named.
  const e = problemAt(paperYaml({ channel: '  paper: { angleDeg: [50, 40] }' }));
  assert.ok(e.line !== undefined && e.line > 1, `line ${e.line}`);
});

test.run();
