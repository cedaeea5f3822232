/**
 * Paper 001's unsupervised datasets (§7, Fig. 6): agent positions drawn uniformly, channels from
 * eq. (4), as a labels.ts SampleGenerator — so every dataset is reproducible from a seed and a
 * labelled one (teachers, benchmark) is cached by content hash (docs/teacher-student.md).
 *
 * Layouts (both with the APs at (25, 0) and (75, 0) m):
 *   pos-1  the benchmark's [28]: every user and the target at y = 50 m, x ~ U[0, 100) m
 *   pos-2  a two-lane road y ∈ [0, 20] m: users at y = 23 m ("3 m away from the traffic"),
 *          x ~ U[0, 100) m; the target x ~ U[0, 100), y ~ U[0, 20) m
 *
 * Sample i is drawn from its own stream (labels.ts: `labels:paper001:<i>` of the seed), in this
 * order: the N users' x, the target's x, then (pos-2) the target's y. Positions are rounded to
 * float32 before the channels are computed, so the stored fields are exactly the float32 images of
 * the float64 channels that `instanceOfSample` rebuilds from them.
 *
 * Fields (float32):
 *   pos  [N+1, 2]      users' (x, y), then the target's (m)
 *   phi  [L, N+1]      angle from AP l to each agent, rad from the array axis
 *   H    [L, N, 2M]    h_ln (losses.ts's H of one sample)
 *   G    [1, L, 2M]    √c a(θ_l) (losses.ts's multistatic G of one sample; SSNR = Σ_l ‖g_lᴴ W̄_l‖²)
 */
import type { Rng } from '../../phy/random.ts';
import { drawLabelled, sampleField, type LabelledDataset, type LabelSource, type SampleGenerator } from '../labels.ts';
import { instanceFromPositions, sensingSnrGain, type Paper001Config, type Paper001Instance } from './system.ts';

export type Paper001Layout = 'pos-1' | 'pos-2';

export const PAPER001_LAYOUTS: readonly Paper001Layout[] = ['pos-1', 'pos-2'];

/** Geometry of the layouts (§7). */
export const LAYOUT_GEOMETRY = {
  /** x range of every agent (m). */
  xRangeM: [0, 100] as const,
  /** pos-1: every agent's y (m). */
  pos1YM: 50,
  /** pos-2: the users' y and the road's y range (m). */
  pos2UserYM: 23,
  pos2RoadYM: [0, 20] as const,
};

export type Paper001Sample = { pos: Float32Array; phi: Float32Array; H: Float32Array; G: Float32Array };

/** Positions [N+1, 2] of one draw (users, then the target), each coordinate rounded to float32. */
export function drawPositions(rng: Rng, layout: Paper001Layout, numUsers: number): Float64Array {
  const [x0, x1] = LAYOUT_GEOMETRY.xRangeM;
  const pos = new Float64Array(2 * (numUsers + 1));
  const userY = layout === 'pos-1' ? LAYOUT_GEOMETRY.pos1YM : LAYOUT_GEOMETRY.pos2UserYM;
  for (let n = 0; n < numUsers; n++) {
    pos[2 * n] = Math.fround(rng.between(x0, x1));
    pos[2 * n + 1] = userY;
  }
  pos[2 * numUsers] = Math.fround(rng.between(x0, x1));
  const [y0, y1] = LAYOUT_GEOMETRY.pos2RoadYM;
  pos[2 * numUsers + 1] = layout === 'pos-1' ? LAYOUT_GEOMETRY.pos1YM : Math.fround(rng.between(y0, y1));
  return pos;
}

/** The fields of an instance (float32). */
export function sampleOfInstance(inst: Paper001Instance, pos: ArrayLike<number>): Paper001Sample {
  const { numAps: L, numTxAnt: M } = inst.config;
  const G = new Float32Array(2 * L * M);
  const s = Math.sqrt(sensingSnrGain(inst.config));
  for (let i = 0; i < G.length; i++) G[i] = s * inst.A[i];
  return { pos: Float32Array.from(pos), phi: Float32Array.from(inst.phiRad), H: Float32Array.from(inst.H), G };
}

/** The generator of `layout` for a configuration (its N, M, L, gains: all part of the dataset hash). */
export function paper001Generator(config: Paper001Config, layout: Paper001Layout): SampleGenerator<Paper001Sample> {
  if (!PAPER001_LAYOUTS.includes(layout)) throw new RangeError(`paper 001 layout must be one of ${PAPER001_LAYOUTS.join(', ')}, got ${String(layout)}`);
  return {
    name: 'paper001',
    spec: {
      layout,
      geometry: LAYOUT_GEOMETRY,
      numAps: config.numAps,
      numTxAnt: config.numTxAnt,
      numUsers: config.numUsers,
      apPositionsM: Array.from(config.apPositionsM),
      sensingGain: config.sensingGain,
      noiseSensW: config.noiseSensW,
      spacing: config.spacing,
    },
    draw: (rng) => {
      const pos = drawPositions(rng, layout, config.numUsers);
      return sampleOfInstance(instanceFromPositions(config, pos), pos);
    },
  };
}

/** The float64 instance of sample i of a paper001 dataset (channels recomputed from its float32 positions). */
export function instanceOfSample(config: Paper001Config, ds: LabelledDataset, i: number): Paper001Instance {
  return instanceFromPositions(config, Float64Array.from(sampleField(ds, 'pos', i)));
}

/** The float64 instance of a sample's fields. */
export function instanceOfFields(config: Paper001Config, sample: Paper001Sample): Paper001Instance {
  return instanceFromPositions(config, Float64Array.from(sample.pos));
}

/** A label source that labels nothing (a 0-float label): unlabelled datasets through labels.ts. */
export const NO_LABEL: LabelSource<Paper001Sample> = { name: 'none', params: null, label: () => new Float32Array(0) };

/** n unlabelled samples of a layout (pure given the seed; the same samples as any labelled dataset of that seed). */
export function paper001Samples(config: Paper001Config, layout: Paper001Layout, n: number, seed: number): LabelledDataset {
  return drawLabelled({ generator: paper001Generator(config, layout), label: NO_LABEL, n, seed });
}
