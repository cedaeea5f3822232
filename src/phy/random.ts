/**
 * Seeded random streams. One scenario seed drives every generator; each purpose (fading,
 * mobility, placement, CSI estimation noise, backhaul jitter, policy randomness …) draws from its
 * own stream, derived from (seed, purpose name), so that changing the policy or adding a shadow
 * policy never changes the channels a run sees (common random numbers across policies).
 *
 * The bit generator is xoroshiro128+ from `pure-rand`; doubles take 53 bits from two draws;
 * normals come from the polar Box–Muller method with its spare value cached.
 */
import { xoroshiro128plus } from 'pure-rand';

type Bits = ReturnType<typeof xoroshiro128plus>;

/** FNV-1a 32-bit hash of a string (stable stream names → stable sub-seeds). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 32-bit finaliser of MurmurHash3: spreads (seed, stream) into a well-mixed sub-seed. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

export class Rng {
  private readonly bits: Bits;
  private spare = NaN;

  /** Use `streamFor(seed, name)`; the constructor takes an already-mixed 32-bit seed. */
  constructor(seed32: number) {
    this.bits = xoroshiro128plus(seed32 | 0);
  }

  /** Uniform double in [0, 1). */
  uniform(): number {
    const a = this.bits.unsafeNext() >>> 5; // 27 bits
    const b = this.bits.unsafeNext() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform double in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** A uniformly random permutation of 0 … n−1 (Fisher–Yates, from the last index down). */
  permutation(n: number): Int32Array {
    const a = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /**
   * Fills n complex entries of `out` (from element offset `offset`) with CN(0, variance):
   * real and imaginary parts each N(0, variance/2).
   */
  complexNormal(out: Float64Array, variance = 1, offset = 0, n = out.length / 2 - offset): void {
    const sd = Math.sqrt(variance / 2);
    const end = 2 * (offset + n);
    for (let i = 2 * offset; i < end; i++) out[i] = sd * this.normal();
  }
}

/** The independent stream `name` of scenario seed `seed`. Same (seed, name) → same sequence. */
export function streamFor(seed: number, name: string): Rng {
  return new Rng(mix32((seed | 0) ^ mix32(fnv1a(name))));
}
