/**
 * Issue 16, item 10 and a missing test: time-sharing passes its members' `needsSharedEchoes` on
 * (a learned policy inside it used to get zeros for other cells' targets) but not `dependsOn`
 * (which member acts depends on the slot); inside the twin the two members visibly alternate.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { isCommSlot } from '../../src/policies/time-sharing.ts';
import type { DistributedPolicy } from '../../src/policies/types.ts';
import { record, scenario } from '../helpers.ts';

const policies = builtinPolicies().register({
  name: 'reads-echoes',
  summary: 'test policy: MRT-like beams that declare they read other cells’ echo estimates',
  params: z.strictObject({}),
  create: () => ({
    name: 'reads-echoes',
    scope: 'distributed',
    needsSharedEchoes: true,
    decide: (m, _v, { topo }) => new Float64Array(2 * topo.servedUsers[m].length * topo.numTxAnt).fill(Math.sqrt(topo.powerW[m] / (2 * topo.servedUsers[m].length * topo.numTxAnt))),
  }),
});

const BASE = `
name: ts
seed: 6
durationSlots: 60
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 1 }
timing:
  pilotPeriodSlots: 5
  csiFeedbackDelayMs: 1
  backhaul: { delayMs: 1, jitterMs: 0 }
  decision: { periodSlots: 1 }
`;

test('time-sharing: needsSharedEchoes of a member is passed on, dependsOn is not', () => {
  const topo = scenario(BASE).topology;
  const ts = (comm: string, sensing: string) => policies.resolve({ name: 'time-sharing', params: { comm: { name: comm, params: {} }, sensing: { name: sensing, params: {} } } }, topo) as DistributedPolicy;
  assert.is(ts('reads-echoes', 'cbf').needsSharedEchoes, true);
  assert.is(ts('mrt', 'reads-echoes').needsSharedEchoes, true);
  assert.not.ok(ts('mrt', 'cbf').needsSharedEchoes);
  // mrt and zf each depend on the CSI alone; their time-sharing depends on the slot too.
  assert.is((policies.resolve({ name: 'mrt', params: {} }, topo) as DistributedPolicy).dependsOn, 'csi');
  assert.is(ts('mrt', 'zf').dependsOn, undefined);
});

test('time-sharing inside the twin: a member that reads echoes gets them shared; the members alternate slot by slot', () => {
  // Echo shares travel AP → AP: peer messages in the per-slot fronthaul counters.
  const shared = (yaml: string) => record(yaml, 30, policies).records.some((r) => Array.from(r.fronthaul.peerMsgs).some((n) => n > 0));
  assert.ok(shared(BASE + 'policy: { name: time-sharing, params: { comm: { name: reads-echoes }, sensing: { name: cbf } } }\n'), 'echo estimates travel to the other APs');
  assert.not.ok(shared(BASE + 'policy: { name: time-sharing, params: { comm: { name: mrt }, sensing: { name: cbf } } }\n'), 'and only then');

  // mrt and zf both depend on the CSI alone: were dependsOn passed on, the twin would keep the
  // first member's beams between pilots and the alternation would vanish.
  const { records } = record(BASE + 'policy: { name: time-sharing, params: { comm: { name: zf }, sensing: { name: mrt }, commShare: 0.5 } }\n', 60);
  let commWins = 0;
  let pairs = 0;
  for (let s = 10; s + 1 < records.length; s++) {
    const a = records[s];
    const b = records[s + 1];
    const [c, n] = isCommSlot(a.slot, 0.5) ? [a, b] : [b, a];
    assert.ok(isCommSlot(c.slot, 0.5) && !isCommSlot(n.slot, 0.5));
    pairs++;
    if (c.rc > n.rc) commWins++;
    assert.is(a.bs.decidedSlot[0], a.slot, 'a fresh decision every slot');
  }
  // ZF beats MRT on R_c in most neighbouring slot pairs (the channel moves a little between them).
  assert.ok(commWins >= 0.8 * pairs, `R_c higher on the ZF slots in ${commWins}/${pairs} neighbouring pairs`);
});

test.run();
