/**
 * Paper 001's run-time claim (abstract, Fig. 16b; docs/teacher-student.md §6): the per-AP U-Net's
 * forward (inference, one sample) against the bisection + SDP benchmark (solvers/bisection-sdp.ts,
 * JSC at ρ = 0.5) per sample, both measured in this run on the same Pos-2 samples (seed 2024).
 * DL time per sample = the slower of the two APs' networks (they run in parallel, one per AP), each
 * as `inferenceNet`'s copy (transposed convolutions as the Conv2D they equal).
 * Target ≥ 1000× (the paper: "at least three orders of magnitude").
 *
 *   npm run bench -- --only paper001      (--quick: N = 5 only, 2 benchmark samples)
 */
import type { Tensor } from '@tensorflow/tfjs';
import { initBackend } from '../src/learning/backend.ts';
import { registerConvKernels } from '../src/learning/layers/conv.ts';
import { benchmarkSet } from '../src/learning/paper001/benchmark-set.ts';
import { paper001Samples } from '../src/learning/paper001/data.ts';
import { apInput, buildPaper001Nets, inferenceNet } from '../src/learning/paper001/networks.ts';
import { paper001Config } from '../src/learning/paper001/system.ts';
import type { BenchRow } from './index.ts';
import { median } from './util.ts';

export async function benchPaper001(o: { quick: boolean }): Promise<BenchRow[]> {
  const { tf } = await initBackend('wasm');
  registerConvKernels(tf);
  const rows: BenchRow[] = [];
  for (const N of o.quick ? [5] : [2, 5, 8]) {
    const config = paper001Config(N);
    const ds = paper001Samples(config, 'pos-2', 1, 2024);
    const { numAps: L, numTxAnt: M } = config;
    const nets = buildPaper001Nets(tf, config, { kind: 'unet', filter: 3, seed: 1 });
    const H = tf.tensor4d(ds.data.H, [1, L, N, 2 * M]);
    const G = tf.tensor4d(ds.data.G, [1, 1, L, 2 * M]);
    let dl = 0;
    for (let l = 0; l < L; l++) {
      const net = await inferenceNet(tf, nets[l]);
      const x = apInput(tf, config, 'unet', H, G, l);
      (net.predict(x) as Tensor).dispose();
      const ts: number[] = [];
      for (let r = 0; r < (o.quick ? 10 : 30); r++) {
        const t0 = performance.now();
        const y = net.predict(x) as Tensor;
        y.dataSync();
        ts.push(performance.now() - t0);
        y.dispose();
      }
      dl = Math.max(dl, median(ts));
      x.dispose();
      net.dispose();
    }
    H.dispose();
    G.dispose();
    nets.forEach((n) => n.dispose());
    const k = o.quick ? 2 : N === 8 ? 3 : 5;
    const b = benchmarkSet({ layout: 'pos-2', numUsers: N, n: k, seed: 2024, now: () => performance.now() });
    const cvx = b.bisectionMs.reduce((s, t, i) => s + t + b.sdpMs[i], 0) / k;
    rows.push(
      { name: `paper001 N=${N}: U-Net F3 forward per AP, one sample`, value: dl, unit: 'ms' },
      { name: `paper001 N=${N}: bisection + SDP per sample (${k} samples)`, value: cvx, unit: 'ms' },
      { name: `paper001 N=${N}: speed-up DL vs bisection + SDP`, value: cvx / dl, unit: '×', target: '≥ 1000×', ratio: cvx / dl / 1000 },
    );
  }
  return rows;
}
