/**
 * Association in time: who carries each user's stream and which AP senses each target, from the
 * large-scale gains and distances of the moment (docs/network-model.md).
 *
 * - mode `cell`: one AP per user — multicell: its cell's BS at the start; cell-free: the strongest
 *   AP (largest β). `all`: every AP. `user-centric`: the clusterSize strongest APs, primary first.
 * - handover (when enabled, every periodSlots): a user's primary AP changes when another AP is
 *   stronger by more than the hysteresis; a user-centric cluster swaps its weakest member for a
 *   stronger non-member under the same rule. A target's monostatic AP is its nearest AP, changed
 *   when another is nearer by the same hysteresis on the round-trip gain d^(−2η_s).
 * Pure functions: the twin applies the result and logs each change as a `handover` event.
 */
import { associationFrom, type Association, type Topology } from '../phy/network.ts';
import type { AssociationSpec } from '../scenario/schema.ts';

export interface Handover {
  /** 'user' or 'target' index. */
  node: 'user' | 'target';
  index: number;
  from: number;
  to: number;
}

/** APs sorted by decreasing gain for user u (ties by index). */
function ranked(gain: Float64Array, numBs: number, numUsers: number, u: number): number[] {
  const aps = Array.from({ length: numBs }, (_, m) => m);
  return aps.sort((a, b) => gain[b * numUsers + u] - gain[a * numUsers + u] || a - b);
}

function modeOf(topo: Topology, spec: AssociationSpec): 'cell' | 'all' | 'user-centric' {
  return spec.mode ?? (topo.kind === 'cell-free' ? 'all' : 'cell');
}

/** Nearest AP of every target from [numBs, numTargets] distances. */
export function nearestAps(distM: Float64Array, numBs: number, numTargets: number): Int32Array {
  const out = new Int32Array(numTargets);
  for (let t = 0; t < numTargets; t++) {
    let best = 0;
    for (let m = 1; m < numBs; m++) if (distM[m * numTargets + t] < distM[best * numTargets + t]) best = m;
    out[t] = best;
  }
  return out;
}

/**
 * The association once nodes are placed: targets to their nearest AP; cell-free users by the mode
 * (multicell `cell` keeps the paper's users-by-cell association).
 */
export function initialAssociation(topo: Topology, spec: AssociationSpec, gain: Float64Array, targetDistM: Float64Array): Association {
  const { numBs, numUsers } = topo;
  const mode = modeOf(topo, spec);
  const targetBs = nearestAps(targetDistM, numBs, topo.numTargets);
  let userAps: Int32Array[];
  if (mode === 'all') userAps = Array.from({ length: numUsers }, (_, u) => Int32Array.from(ranked(gain, numBs, numUsers, u)));
  else if (mode === 'user-centric') {
    const n = Math.min(spec.clusterSize, numBs);
    userAps = Array.from({ length: numUsers }, (_, u) => Int32Array.from(ranked(gain, numBs, numUsers, u).slice(0, n)));
  } else if (topo.kind === 'multicell') userAps = topo.userAps.map((a) => Int32Array.from(a));
  else userAps = Array.from({ length: numUsers }, (_, u) => Int32Array.of(ranked(gain, numBs, numUsers, u)[0]));
  // Primary AP: the first of each serving set (the strongest, or the cell's BS).
  const primary = Int32Array.from(userAps, (aps) => aps[0]);
  // The pre-placement association was never in force: the initial one keeps its version (0).
  return associationFrom(numBs, userAps, primary, topo.numSensingStreams, targetBs, topo.associationVersion, topo.sensingPerAp);
}

/**
 * Re-evaluates the association of `topo` with hysteresis. Returns the new association and the
 * changes, or undefined when nothing changes.
 */
export function reassociate(
  topo: Topology,
  spec: AssociationSpec,
  gain: Float64Array,
  targetDistM: Float64Array,
  sensExponent: number,
): { association: Association; handovers: Handover[] } | undefined {
  const { numBs, numUsers, numTargets } = topo;
  const h = 10 ** (spec.handover.hysteresisDb / 10);
  const mode = modeOf(topo, spec);
  const handovers: Handover[] = [];
  const userAps = topo.userAps.map((a) => Array.from(a));
  const primary = Array.from(topo.userBs);
  for (let u = 0; u < numUsers; u++) {
    const order = ranked(gain, numBs, numUsers, u);
    const g = (m: number) => gain[m * numUsers + u];
    const best = order[0];
    if (best !== primary[u] && g(best) > h * g(primary[u])) {
      handovers.push({ node: 'user', index: u, from: primary[u], to: best });
      primary[u] = best;
      if (mode === 'cell') userAps[u] = [best];
    }
    if (mode === 'user-centric') {
      const members = new Set(userAps[u]);
      members.add(primary[u]);
      for (const cand of order) {
        if (members.has(cand)) continue;
        const weakest = [...members].filter((m) => m !== primary[u]).sort((a, b) => g(a) - g(b))[0];
        if (weakest === undefined || !(g(cand) > h * g(weakest))) break;
        members.delete(weakest);
        members.add(cand);
      }
      while (members.size > Math.min(spec.clusterSize, numBs)) {
        const weakest = [...members].filter((m) => m !== primary[u]).sort((a, b) => g(a) - g(b))[0];
        members.delete(weakest);
      }
      userAps[u] = [...members];
    }
  }
  const targetBs = Array.from(topo.targetBs);
  // Hysteresis on the round-trip gain d^(−2η_s): switch when d_cur / d_new > h^(1/(2η_s)).
  const ratio = h ** (1 / (2 * sensExponent));
  const nearest = nearestAps(targetDistM, numBs, numTargets);
  for (let t = 0; t < numTargets; t++) {
    const cur = targetBs[t];
    const n = nearest[t];
    if (n !== cur && targetDistM[cur * numTargets + t] > ratio * targetDistM[n * numTargets + t]) {
      handovers.push({ node: 'target', index: t, from: cur, to: n });
      targetBs[t] = n;
    }
  }
  const sameSets = userAps.every((a, u) => a.length === topo.userAps[u].length && a.every((m) => topo.userAps[u].includes(m)));
  if (!handovers.length && sameSets) return undefined;
  const sorted = userAps.map((a, u) => Int32Array.from([primary[u], ...a.filter((m) => m !== primary[u])]));
  return {
    association: associationFrom(numBs, sorted, Int32Array.from(primary), topo.numSensingStreams, Int32Array.from(targetBs), topo.associationVersion + 1, topo.sensingPerAp),
    handovers,
  };
}
