/**
 * Policies for joint transmission (cell-free and user-centric networks; they also run on
 * multicell topologies, where every serving set is one BS): the solvers of solvers/joint.ts and
 * solvers/jt-wmmse.ts over the serving sets of the association in force (docs/network-model.md).
 *
 * - `local-mmse` (distributed): each AP, from its own CSI only, local MMSE beams towards the users
 *   it serves; nothing crosses the fronthaul but its CSI report.
 * - `czf`, `crzf` (centralised): zero forcing / regularised ZF over every user's serving set at the
 *   CPU, one common scaling so that the nulls survive the per-AP budgets.
 * - `jt-wmmse` (centralised): per-AP block-coordinate WMMSE over the serving sets (`wmmse` runs it
 *   too whenever a user has more than one AP).
 * - `lsfpc` (hierarchical): local MRT or local MMSE directions at each AP, powers from the CPU's
 *   large-scale fractional power control p_{m,u} ∝ ω_u β_{m,u}^{ν}, ω_u = (Σ_{m∈S_u} β_{m,u})^{−ν}
 *   (users with weak serving sets get more), normalised to P_m at each AP.
 * - `dist-wmmse` (multi-round): JT-WMMSE run over the fronthaul — every round each AP sends its
 *   contribution G^m_{u,j} = h_{m,u}ᴴ w_{m,j} (U² complex) to the CPU, the CPU sums them and returns
 *   G with the MMSE receivers g and weights ω (U² + 2U numbers), and every AP updates its own
 *   block at once (Jacobi order, so unlike the sequential solver it is not guaranteed monotone).
 * Every policy may give a dedicated sensing row (`sensingShare` of the AP's power towards its
 * estimated angle to the nearest target) when the AP carries a sensing stream.
 */
import { z } from 'zod';
import { czeros, type CArray } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { jtCentralRzf, jtCentralZf, jtLocalMmse, jtMrt, type JtBeams, type JtProblem } from '../solvers/joint.ts';
import { jtWmmse, jtApUpdate } from '../solvers/jt-wmmse.ts';
import type { CsiView, HierarchicalPolicy, MultiRoundPolicy, PolicyDefinition } from './types.ts';

/** The joint-transmission problem of a view: its channels, the serving sets in force, budgets. */
export function problemOf(topo: Topology, view: CsiView, only?: number): JtProblem {
  const { numBs, numUsers } = topo;
  const serving = new Uint8Array(numBs * numUsers);
  topo.userAps.forEach((aps, u) => aps.forEach((m) => (only === undefined || m === only) && (serving[m * numUsers + u] = 1)));
  return { numAps: numBs, numUsers, numTxAnt: topo.numTxAnt, H: view.H, serving, powerW: topo.powerW, noiseW: topo.noiseCommW };
}

/** Full [numUsers, N] beams of AP m → its rows (served users, then sensing rows, zero). */
export function rowsOf(topo: Topology, m: number, full: CArray): CArray {
  const nt = topo.numTxAnt;
  const W = czeros(topo.apStreams[m].length * nt);
  topo.servedUsers[m].forEach((u, k) => W.set(full.subarray(2 * u * nt, 2 * (u + 1) * nt), 2 * k * nt));
  return W;
}

/** Rows → full [numUsers, N] beams (warm starts). */
function fullOf(topo: Topology, m: number, W: CArray): CArray {
  const nt = topo.numTxAnt;
  const full = czeros(topo.numUsers * nt);
  topo.servedUsers[m].forEach((u, k) => full.set(W.subarray(2 * k * nt, 2 * (k + 1) * nt), 2 * u * nt));
  return full;
}

/**
 * Gives AP m's first sensing row `share` of its budget towards its estimated angle to its nearest
 * target, scaling the communication rows to the rest. No sensing row, no target, or share 0: W unchanged.
 */
export function withSensingRow(topo: Topology, m: number, view: CsiView, W: CArray, share: number): CArray {
  const nt = topo.numTxAnt;
  const rows = topo.apStreams[m].length;
  const comm = topo.servedUsers[m].length;
  if (share <= 0 || rows === comm || topo.numTargets === 0) return W;
  // The target nearest to AP m that it has an estimate of (by illumination gain, else by index).
  const T = topo.numTargets;
  let t = -1;
  for (let i = 0; i < T; i++) {
    if (view.targetApSlot[m * T + i] < 0) continue;
    if (t < 0 || view.targetApGain[m * T + i] > view.targetApGain[m * T + t]) t = i;
  }
  const theta = t >= 0 ? view.targetApThetaRad[m * T + t] : topo.targetsOf[m].length ? view.targetThetaRad[topo.targetsOf[m][0]] : NaN;
  if (Number.isNaN(theta)) return W;
  const P = topo.powerW[m];
  const s = Math.sqrt(1 - share);
  for (let i = 0; i < 2 * comm * nt; i++) W[i] *= s;
  steeringInto(W, comm * nt, nt, theta, Math.sqrt((share * P) / nt), 0);
  return W;
}

const sensingShare = z.number().min(0).max(1).default(0).describe('share of each AP’s power on its sensing row (cell-free)');

const localMmse: PolicyDefinition = {
  name: 'local-mmse',
  summary: 'local MMSE at each AP towards the users it serves, from its own CSI (cell-free)',
  params: z.strictObject({ sensingShare }),
  create: (p) => ({
    name: 'local-mmse',
    scope: 'distributed',
    // Its sensing row follows the echo estimates; without one it depends on the CSI alone.
    ...((p as { sensingShare: number }).sensingShare === 0 ? { dependsOn: 'csi' as const } : {}),
    decide(m, view, { topo }) {
      const full = jtLocalMmse(problemOf(topo, view, m))[m];
      return withSensingRow(topo, m, view, rowsOf(topo, m, full), (p as { sensingShare: number }).sensingShare);
    },
  }),
};

function central(name: 'czf' | 'crzf', summary: string, solve: (pr: JtProblem, alpha: number) => JtBeams): PolicyDefinition {
  return {
    name,
    summary,
    params: z.strictObject({ sensingShare, ...(name === 'crzf' ? { alpha: z.number().positive().default(0.1).describe('regularisation (× σ²/P_m scale-free: α·σ²)') } : {}) }),
    requires: (topo) => {
      if (name !== 'czf') return undefined;
      const bad = topo.userAps.findIndex((aps) => aps.length * topo.numTxAnt < topo.numUsers);
      return bad < 0 ? undefined : `czf needs every user's serving set to have ≥ ${topo.numUsers} antennas (user ${bad} has ${topo.userAps[bad].length * topo.numTxAnt})`;
    },
    create: (p) => ({
      name,
      scope: 'centralised',
      decideAll(view, { topo }) {
        const params = p as { sensingShare: number; alpha?: number };
        const full = solve(problemOf(topo, view), (params.alpha ?? 0) * topo.noiseCommW);
        return full.map((f, m) => withSensingRow(topo, m, view, rowsOf(topo, m, f), params.sensingShare));
      },
    }),
  };
}

const czf = central('czf', 'centralised zero forcing over the serving sets at the CPU (nulls across APs)', (pr) => jtCentralZf(pr));
const crzf = central('crzf', 'centralised regularised ZF over the serving sets at the CPU', (pr, alpha) => jtCentralRzf(pr, { alpha }));

const wmmseParams = z.strictObject({
  iterations: z.number().int().positive().default(100),
  tolerance: z.number().positive().default(1e-4),
  warmStart: z.boolean().default(true),
});

/** JT-WMMSE at the CPU from its view (warm start from the previous decision when it fits). */
export function jointWmmse(topo: Topology, view: CsiView, o: z.output<typeof wmmseParams>, previous?: Beamformers): Beamformers {
  const warm = o.warmStart && previous?.length === topo.numBs && previous.every((w, m) => w.length === 2 * topo.apStreams[m].length * topo.numTxAnt) && previous.some((w) => w.some((x) => x !== 0));
  const init = warm ? previous!.map((w, m) => fullOf(topo, m, w)) : undefined;
  const r = jtWmmse(problemOf(topo, view), { maxIterations: o.iterations, tolerance: o.tolerance, ...(init ? { init } : {}) });
  return r.W.map((f, m) => rowsOf(topo, m, f));
}

const jointWmmsePolicy: PolicyDefinition<typeof wmmseParams> = {
  name: 'jt-wmmse',
  summary: 'joint-transmission WMMSE at the CPU (per-AP power, block coordinate per AP)',
  params: wmmseParams,
  create: (p) => ({
    name: 'jt-wmmse',
    scope: 'centralised',
    decideAll: (view, ctx) => jointWmmse(ctx.topo, view, p, ctx.previous),
  }),
};

const lsfpcParams = z.strictObject({
  local: z.enum(['mrt', 'mmse']).default('mrt').describe('the APs’ local directions'),
  exponent: z.number().min(0).max(1).default(0.5).describe('ν of the fractional power control'),
  sensingShare,
});

const lsfpc: PolicyDefinition<typeof lsfpcParams> = {
  name: 'lsfpc',
  summary: 'hierarchical: local MRT/MMSE directions at each AP, fractional power control at the CPU from large-scale gains',
  params: lsfpcParams,
  create: (p): HierarchicalPolicy => ({
    name: 'lsfpc',
    scope: 'hierarchical',
    allocate(view, { topo }) {
      const { numUsers } = topo;
      const omega = Float64Array.from(topo.userAps, (aps, u) => {
        let b = 0;
        for (const m of aps) b += view.gain[m * numUsers + u];
        return b > 0 ? b ** -p.exponent : 0;
      });
      return topo.servedUsers.map((users, m) => {
        const w = Float64Array.from(users, (u) => omega[u] * view.gain[m * numUsers + u] ** p.exponent);
        const sum = w.reduce((a, b) => a + b, 0);
        return Float64Array.from(w, (x) => (sum > 0 ? (topo.powerW[m] * x) / sum : topo.powerW[m] / users.length));
      });
    },
    precode(m, view, power, { topo }) {
      const pr = problemOf(topo, view, m);
      const full = (p.local === 'mmse' ? jtLocalMmse(pr) : jtMrt(pr))[m];
      const W = rowsOf(topo, m, full);
      const nt = topo.numTxAnt;
      const users = topo.servedUsers[m];
      // Before the first allocation arrives: equal power (the local solvers' own split).
      if (power && power.length === users.length) {
        users.forEach((_, k) => {
          let n2 = 0;
          for (let i = 2 * k * nt; i < 2 * (k + 1) * nt; i++) n2 += W[i] * W[i];
          const s = n2 > 0 ? Math.sqrt(power[k] / n2) : 0;
          for (let i = 2 * k * nt; i < 2 * (k + 1) * nt; i++) W[i] *= s;
        });
      }
      return withSensingRow(topo, m, view, W, p.sensingShare);
    },
  }),
};

const distParams = z.strictObject({
  rounds: z.number().int().min(1).max(100).default(5).describe('fronthaul rounds per decision'),
  bitsPerReal: z.number().int().min(1).max(64).default(16),
});

interface DistState {
  /** AP m's full [numUsers, N] beams. */
  W: CArray;
  problem: JtProblem;
}

/** [U, U] complex G^m_{u,j} = h_{m,u}ᴴ w_{m,j} of one AP. */
function contribution(pr: JtProblem, m: number, Wm: CArray): Float64Array {
  const { numUsers: U, numTxAnt: N } = pr;
  const G = new Float64Array(2 * U * U);
  for (let u = 0; u < U; u++) {
    const h = 2 * (m * U + u) * N;
    for (let j = 0; j < U; j++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < N; i++) {
        const hr = pr.H[h + 2 * i];
        const hi = pr.H[h + 2 * i + 1];
        const wr = Wm[2 * (j * N + i)];
        const wi = Wm[2 * (j * N + i) + 1];
        re += hr * wr + hi * wi;
        im += hr * wi - hi * wr;
      }
      G[2 * (u * U + j)] = re;
      G[2 * (u * U + j) + 1] = im;
    }
  }
  return G;
}

const distWmmse: PolicyDefinition<typeof distParams> = {
  name: 'dist-wmmse',
  summary: 'multi-round: JT-WMMSE over the fronthaul, each AP updating its own beams from exchanged received-signal sums',
  params: distParams,
  create: (p): MultiRoundPolicy<DistState> => ({
    name: 'dist-wmmse',
    scope: 'multi-round',
    rounds: p.rounds,
    bitsPerReal: p.bitsPerReal,
    start(m, view, { topo }) {
      // A snapshot: a CSI report landing between rounds must not change this decision's problem.
      const problem = { ...problemOf(topo, view, m), H: view.H.slice() };
      const W = jtMrt(problem)[m];
      return { state: { W, problem }, up: contribution(problem, m, W) };
    },
    combine(_round, up, { topo }) {
      const U = topo.numUsers;
      const G = new Float64Array(2 * U * U);
      for (const g of up) for (let i = 0; i < G.length; i++) G[i] += g[i];
      // Reply: G, then for each user (Re g_u, Im g_u, ω_u) with g_u = G_uu / T_u, ω_u = T_u / I_u.
      const reply = new Float64Array(2 * U * U + 3 * U);
      reply.set(G);
      for (let u = 0; u < U; u++) {
        let T = topo.noiseCommW;
        for (let j = 0; j < U; j++) T += G[2 * (u * U + j)] ** 2 + G[2 * (u * U + j) + 1] ** 2;
        const dr = G[2 * (u * U + u)];
        const di = G[2 * (u * U + u) + 1];
        const I = T - dr * dr - di * di;
        reply[2 * U * U + 3 * u] = dr / T;
        reply[2 * U * U + 3 * u + 1] = di / T;
        reply[2 * U * U + 3 * u + 2] = I > 0 ? T / I : 1e12;
      }
      return up.map(() => reply);
    },
    step(m, round, state, down, _view, { topo }) {
      const U = topo.numUsers;
      const own = contribution(state.problem, m, state.W);
      const others = new Float64Array(2 * U * U);
      for (let i = 0; i < others.length; i++) others[i] = down[i] - own[i];
      const g = new Float64Array(2 * U);
      const omega = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        g[2 * u] = down[2 * U * U + 3 * u];
        g[2 * u + 1] = down[2 * U * U + 3 * u + 1];
        omega[u] = down[2 * U * U + 3 * u + 2];
      }
      state.W = jtApUpdate(state.problem, m, others, g, omega);
      if (round + 1 >= p.rounds) return { W: rowsOf(topo, m, state.W) };
      return { up: contribution(state.problem, m, state.W) };
    },
  }),
};

export const jointPolicies: PolicyDefinition[] = [localMmse, czf, crzf, jointWmmsePolicy as PolicyDefinition, lsfpc as PolicyDefinition, distWmmse as PolicyDefinition];
