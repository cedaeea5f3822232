/**
 * The fronthaul (cell-free) / backhaul (multicell) as a model: typed messages whose payload sizes
 * are computed from their contents, one link per AP and direction to the central unit (CPU) and a
 * peer link per AP to the other APs, each with delay, jitter and capacity (docs/network-model.md).
 *
 *   a message of B bits offered at time t on a link of capacity C waits until the link is free,
 *   occupies it for B / C, then arrives after the propagation delay d plus jitter U[0, j]:
 *     start = max(t, free),  free ← start + B/C,  arrival = start + B/C + d + j·u
 *   (C absent: B/C = 0, so arrival = t + d + j·u — the backhaul of the first twin, bit for bit.)
 *
 * Deliveries are RxJS `timer`s on the virtual scheduler. Jitter may reorder messages; receivers
 * keep only what is newer. Bits sent are counted per link per slot for the run database.
 *
 * Random streams: one per direction, drawn in send order ('backhaul-up' AP → CPU, 'backhaul-down'
 * CPU → AP, 'backhaul-bs' AP → AP), so a policy that sends nothing extra sees the same delays.
 */
import { map, mergeMap, Subject, timer } from 'rxjs';
import type { CArray } from '../phy/complex.ts';
import type { Rng } from '../phy/random.ts';
import type { VirtualScheduler } from './scheduler.ts';

/** Echo estimates a report carries: per target it has estimates of (angle, coefficient). */
export interface EchoEstimates {
  targets: Int32Array;
  /** [targets] angle from the sender's broadside (rad). */
  theta: Float64Array;
  /** [targets] complex monostatic echo coefficient α̂ (monostatic) … */
  alpha: CArray;
  /** … or [targets] illumination gain ĉ_{m,t} of the sender (multistatic). */
  gain: Float64Array;
  /** [targets] slot of the echo each estimate comes from. */
  slot: Int32Array;
}

/** What travels between APs and the CPU. `from`/`to`: AP index, -1 for the CPU. */
export type FronthaulMessage =
  | {
      kind: 'csi';
      from: number;
      to: -1;
      measuredSlot: number;
      /** [numUsers, numTxAnt] estimated channel row of AP `from`. */
      row: CArray;
      /** [numUsers] large-scale gains β_{from,u}. */
      gains: Float64Array;
      echoes: EchoEstimates;
      /** Bits per real of the CSI row (quantised CSI), else the link's bitsPerReal. */
      csiBitsPerReal?: number;
    }
  | { kind: 'echo-share'; from: number; to: number; echoes: EchoEstimates }
  | { kind: 'beams'; from: -1; to: number; decidedSlot: number; W: CArray; streams: Int32Array; tag: unknown }
  | { kind: 'power'; from: -1; to: number; decidedSlot: number; power: Float64Array; streams: Int32Array }
  | { kind: 'round'; from: number; to: number; decisionSlot: number; round: number; payload: Float64Array; bitsPerReal?: number };

export type FronthaulKind = FronthaulMessage['kind'];

/** Payload size (bits) of a message: every real number counts `bitsPerReal` bits. */
export function payloadBits(msg: FronthaulMessage, bitsPerReal: number): number {
  const echoBits = (e: EchoEstimates) => e.targets.length * (1 + (e.gain.length ? 1 : 2)) * bitsPerReal;
  switch (msg.kind) {
    case 'csi':
      return msg.row.length * (msg.csiBitsPerReal ?? bitsPerReal) + msg.gains.length * bitsPerReal + echoBits(msg.echoes);
    case 'echo-share':
      return echoBits(msg.echoes);
    case 'beams':
      return msg.W.length * bitsPerReal;
    case 'power':
      return msg.power.length * bitsPerReal;
    case 'round':
      return msg.payload.length * (msg.bitsPerReal ?? bitsPerReal);
  }
}

export interface FronthaulParams {
  delayMs: number;
  jitterMs: number;
  /** Capacity of each link and direction (Mbit/s); undefined: unlimited. */
  capacityMbps?: number;
  bitsPerReal: number;
}

/** Directions of a link of AP m. */
export type LinkDirection = 'up' | 'down' | 'peer';

/** Bits and messages offered on every link during one slot. */
export interface LinkCounters {
  /** [numAps] bits offered AP → CPU, CPU → AP, AP → other APs. */
  upBits: Float64Array;
  downBits: Float64Array;
  peerBits: Float64Array;
  upMsgs: Int32Array;
  downMsgs: Int32Array;
  peerMsgs: Int32Array;
  /** [numAps] longest wait for a busy uplink / downlink this slot (µs). */
  upQueueUs: Float64Array;
  downQueueUs: Float64Array;
}

export function emptyCounters(numAps: number): LinkCounters {
  return {
    upBits: new Float64Array(numAps),
    downBits: new Float64Array(numAps),
    peerBits: new Float64Array(numAps),
    upMsgs: new Int32Array(numAps),
    downMsgs: new Int32Array(numAps),
    peerMsgs: new Int32Array(numAps),
    upQueueUs: new Float64Array(numAps),
    downQueueUs: new Float64Array(numAps),
  };
}

interface InFlight {
  msg: FronthaulMessage;
  arrivalUs: number;
  sentUs: number;
  bits: number;
}

/** Delivered message with its timing (for events and receivers). */
export interface Delivery {
  msg: FronthaulMessage;
  sentUs: number;
  bits: number;
}

export class Fronthaul {
  /** Every delivered message, at its arrival time. */
  readonly delivered$ = new Subject<Delivery>();
  private readonly offered$ = new Subject<InFlight>();
  /** [numAps] time (µs) each uplink / downlink is free again. */
  private readonly upFreeUs: Float64Array;
  private readonly downFreeUs: Float64Array;
  private readonly peerFreeUs: Float64Array;
  private counters: LinkCounters;
  /** Whether anything was offered since the last takeCounters (else the shared zero counters are handed out). */
  private counted = false;
  /** All-zero counters of a slot in which nothing was sent (shared: never written). */
  private readonly zeroCounters: LinkCounters;

  constructor(
    private readonly numAps: number,
    private readonly p: FronthaulParams,
    private readonly scheduler: VirtualScheduler,
    private readonly rng: Record<LinkDirection, Rng>,
  ) {
    this.upFreeUs = new Float64Array(numAps);
    this.downFreeUs = new Float64Array(numAps);
    this.peerFreeUs = new Float64Array(numAps);
    this.counters = emptyCounters(numAps);
    this.zeroCounters = emptyCounters(numAps);
    this.offered$
      .pipe(mergeMap((f) => timer(f.arrivalUs - this.scheduler.now(), this.scheduler).pipe(map(() => f))))
      .subscribe((f) => this.delivered$.next({ msg: f.msg, sentUs: f.sentUs, bits: f.bits }));
  }

  get params(): FronthaulParams {
    return this.p;
  }

  /** Offers a message now; it is delivered on `delivered$` when it arrives. */
  send(msg: FronthaulMessage): void {
    const now = this.scheduler.now();
    const dir: LinkDirection = msg.from === -1 ? 'down' : msg.to === -1 ? 'up' : 'peer';
    const ap = dir === 'down' ? msg.to : msg.from;
    const bits = payloadBits(msg, this.p.bitsPerReal);
    const free = dir === 'up' ? this.upFreeUs : dir === 'down' ? this.downFreeUs : this.peerFreeUs;
    let txUs = 0;
    let start = now;
    if (this.p.capacityMbps !== undefined) {
      txUs = bits / this.p.capacityMbps; // bits / (Mbit/s) = µs
      start = Math.max(now, free[ap]);
      free[ap] = start + txUs;
    }
    const prop = Math.round((this.p.delayMs + this.p.jitterMs * this.rng[dir].uniform()) * 1000);
    const arrivalUs = Math.round(start + txUs) + prop;
    const c = this.counters;
    this.counted = true;
    if (dir === 'up') {
      c.upBits[ap] += bits;
      c.upMsgs[ap]++;
      c.upQueueUs[ap] = Math.max(c.upQueueUs[ap], start - now);
    } else if (dir === 'down') {
      c.downBits[ap] += bits;
      c.downMsgs[ap]++;
      c.downQueueUs[ap] = Math.max(c.downQueueUs[ap], start - now);
    } else {
      c.peerBits[ap] += bits;
      c.peerMsgs[ap]++;
    }
    this.offered$.next({ msg, arrivalUs, sentUs: now, bits });
  }

  /**
   * The counters of the slot that just ended, and fresh ones for the next. A slot in which
   * nothing was sent gets the shared all-zero counters (no allocation; do not mutate them).
   */
  takeCounters(): LinkCounters {
    if (!this.counted) return this.zeroCounters;
    this.counted = false;
    const c = this.counters;
    this.counters = emptyCounters(this.numAps);
    return c;
  }
}
