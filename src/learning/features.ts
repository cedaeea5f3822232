/**
 * Input features of the per-BS MLPs (paper 000 Sec. III-A), in two modes — ONE function builds
 * them for training (train.ts), for the twin's policies (policies.ts) and for the figures
 * (figures.ts), from the normalised channels of dataset.ts (noise 1, unit-power beams).
 *
 * Every input link is a complex N_T-vector h̃ (a row H̃[m, u] or G̃[t, m]); per link the model
 * takes 2·N_T reals, in the link order of `localFeaturesInto` (users, then targets).
 *
 * - `rms` (every model trained before feature modes existed; metadata without `features`):
 *   the re/im parts of h̃ times 1/RMS of the training set's entries (`featureScale`). The scale is
 *   fitted on the training set, so a change of P_T cancels: a model trained at one SNR sees the
 *   same inputs as one trained at another (the inputs do not carry SNR). Bit-identical to before.
 * - `log-gain`: [ (10·log10‖h̃‖² − offsetDb)/spanDb,  |h̃₀|/‖h̃‖,  Re, Im of h̃_i·e^{−j∠h̃₀}/‖h̃‖, i = 1…N_T−1 ]
 *   — the link's SNR-bearing gain (affinely scaled with constants fitted on the training set and
 *   stored in the metadata) and its direction with the phase of its first entry removed (the
 *   imaginary part of entry 0 is then 0 and is not stored: still 2·N_T reals per link). Removing a
 *   per-link phase loses nothing: every term of R_c and R_s in this multicell model is |h̃ᴴw|² of
 *   ONE link (eqs. 6 and 8, src/metrics/isac.ts), so the objective is invariant to rotating any
 *   single link (tested). A zero link (a target with no estimate yet in the twin) gives gain
 *   ZERO_LINK_DB and a zero direction.
 */
import { sizes, type IsacDataset, type IsacDims, inputDim, localFeaturesInto } from './dataset.ts';

export type FeatureModeName = 'rms' | 'log-gain';

/** Affine scaling of a log-gain: feature = (dB − offsetDb) / spanDb. */
export interface GainScaling {
  offsetDb: number;
  spanDb: number;
}

/** What the metadata records (`ModelMetadata.features`; absent = rms with `featureScale`). */
export type FeatureSpec = { mode: 'rms'; scale: { h: number; g: number } } | { mode: 'log-gain'; h: GainScaling; g: GainScaling };

/** Gain feature of a zero link (after scaling: 4 training standard deviations below the mean). */
export const ZERO_LINK_FEATURE = -4;

/** The spec of a model from its metadata (old models: rms with their featureScale). */
export function featureSpecOf(meta: { features?: FeatureSpec; featureScale: { h: number; g: number } }): FeatureSpec {
  return meta.features ?? { mode: 'rms', scale: meta.featureScale };
}

/** Writes the log-gain features of one link (2·nt reals) at out[o…]. */
function logGainLinkInto(out: Float32Array, o: number, src: ArrayLike<number>, s: number, nt: number, sc: GainScaling): void {
  let p = 0;
  for (let i = 0; i < 2 * nt; i++) p += src[s + i] * src[s + i];
  if (!(p > 0)) {
    out[o] = ZERO_LINK_FEATURE;
    for (let i = 1; i < 2 * nt; i++) out[o + i] = 0;
    return;
  }
  const n = Math.sqrt(p);
  out[o] = (10 * Math.log10(p) - sc.offsetDb) / sc.spanDb;
  const r0 = src[s];
  const i0 = src[s + 1];
  const a0 = Math.hypot(r0, i0);
  // e^{−j∠h₀} = conj(h₀)/|h₀| (1 when h₀ = 0)
  const cr = a0 > 0 ? r0 / a0 : 1;
  const ci = a0 > 0 ? -i0 / a0 : 0;
  out[o + 1] = a0 / n;
  for (let i = 1; i < nt; i++) {
    const re = src[s + 2 * i];
    const im = src[s + 2 * i + 1];
    out[o + 2 * i] = (re * cr - im * ci) / n;
    out[o + 2 * i + 1] = (re * ci + im * cr) / n;
  }
}

/**
 * Local input features of BS m in the given mode (the layout of dataset.ts `localFeaturesInto`:
 * VFL all users then all targets, per-cell the own cell's), written into `out` at `offset`.
 */
export function featuresInto(
  out: Float32Array,
  offset: number,
  d: IsacDims,
  m: number,
  H: ArrayLike<number>,
  hOff: number,
  G: ArrayLike<number>,
  gOff: number,
  local: boolean,
  spec: FeatureSpec,
): void {
  if (spec.mode === 'rms') {
    localFeaturesInto(out, offset, d, m, H, hOff, G, gOff, local, spec.scale);
    return;
  }
  const nt = d.numTxAnt;
  const z = sizes(d);
  let o = offset;
  const u0 = local ? m * d.usersPerCell : 0;
  const nu = local ? d.usersPerCell : z.numUsers;
  const t0 = local ? m * d.targetsPerCell : 0;
  const ntg = local ? d.targetsPerCell : z.numTargets;
  for (let u = u0; u < u0 + nu; u++, o += 2 * nt) logGainLinkInto(out, o, H, hOff + 2 * (m * z.numUsers + u) * nt, nt, spec.h);
  for (let t = t0; t < t0 + ntg; t++, o += 2 * nt) logGainLinkInto(out, o, G, gOff + 2 * (t * d.numBs + m) * nt, nt, spec.g);
}

/** Matrix [numSamples, inputDim] of BS m's features in the given mode. */
export function featureMatrix(ds: IsacDataset, m: number, local: boolean, spec: FeatureSpec): Float32Array {
  const z = sizes(ds.dims);
  const dim = inputDim(ds.dims, local);
  const out = new Float32Array(ds.numSamples * dim);
  for (let n = 0; n < ds.numSamples; n++) featuresInto(out, n * dim, ds.dims, m, ds.H, n * z.h, ds.G, n * z.g, local, spec);
  return out;
}

/**
 * Log-gain scaling fitted on a dataset: mean and standard deviation of 10·log10‖h̃‖² over every
 * non-zero link of H̃ (resp. G̃) — so the gain feature is O(1) over the training set's SNR span.
 */
export function fitLogGain(ds: IsacDataset): { h: GainScaling; g: GainScaling } {
  const nt = ds.dims.numTxAnt;
  const fit = (a: Float32Array): GainScaling => {
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let o = 0; o < a.length; o += 2 * nt) {
      let p = 0;
      for (let i = 0; i < 2 * nt; i++) p += a[o + i] * a[o + i];
      if (!(p > 0)) continue;
      const db = 10 * Math.log10(p);
      s += db;
      s2 += db * db;
      n++;
    }
    const mean = n ? s / n : 0;
    const sd = n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : 1;
    return { offsetDb: mean, spanDb: sd > 1e-6 ? sd : 1 };
  };
  return { h: fit(ds.H), g: fit(ds.G) };
}
