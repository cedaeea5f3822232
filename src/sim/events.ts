/**
 * What the twin reports to the outside world. The core emits these on RxJS subjects and never
 * knows who listens (the SQLite logger, the dashboard, a progress bar, a test's trace recorder).
 * Times are simulated microseconds; slots are indices from 0.
 */

/** Discrete happenings, in the order they occur. */
export type TwinEvent =
  | { kind: 'pilot'; tUs: number; slot: number; bs: number }
  | { kind: 'csi-report'; tUs: number; slot: number; bs: number; measuredSlot: number }
  | { kind: 'echo'; tUs: number; slot: number; bs: number; targets: number }
  | {
      kind: 'backhaul';
      tUs: number;
      slot: number;
      /** Sender: BS index, or -1 for the central unit. */
      from: number;
      /** Receiver: BS index, or -1 for the central unit. */
      to: number;
      payload: 'csi' | 'beams';
      sentUs: number;
    }
  | { kind: 'decision'; tUs: number; slot: number; by: number; policy: string; computeMs: number | null; latencyUs: number }
  | { kind: 'apply'; tUs: number; slot: number; bs: number; policy: string; decidedSlot: number; fallback: boolean }
  | { kind: 'deadline-miss'; tUs: number; slot: number; by: number; policy: string; latencyUs: number; fallback: string }
  | { kind: 'warning'; tUs: number; slot: number; message: string };

export type TwinEventKind = TwinEvent['kind'];

/** A policy evaluated beside the acting one on the same slot and information. */
export interface ShadowMetrics {
  name: string;
  rc: number;
  rs: number;
  objective: number;
}

/**
 * Everything measured in one slot, on the true channel with the beamformers in force.
 * Arrays are fresh copies: a consumer may keep them.
 */
export interface SlotRecord {
  slot: number;
  tUs: number;
  /** Network communication rate R_c, radar information rate R_s (bit/s/Hz), objective. */
  rc: number;
  rs: number;
  objective: number;
  /** [numUsers] */
  userSinr: Float64Array;
  userRate: Float64Array;
  /** [numUsers] slots since the CSI behind the user's beam was measured; -1 = no beam yet. */
  userCsiAge: Int32Array;
  /** [numUsers, 2] positions (m). */
  userPosM: Float64Array;
  /** [numTargets] */
  targetSinr: Float64Array;
  targetRate: Float64Array;
  /** [numTargets, 2] positions (m). */
  targetPosM: Float64Array;
  /** [numTargets] true angle from the sensing BS's broadside (rad) and its latest estimate there. */
  targetThetaRad: Float64Array;
  targetThetaEstRad: Float64Array;
  /** Per BS. */
  bs: {
    /** Policy whose beams are in force ('none' before the first decision). */
    policy: string[];
    /** 1 when the beams come from the fallback policy after a missed deadline. */
    fallback: Uint8Array;
    /** tr(W Wᴴ) (W). */
    powerW: Float64Array;
    /** Azimuth (deg from east) of the strongest direction of the beams in force; NaN if silent. */
    beamAzDeg: Float64Array;
    /** Compute time of the decision in force (ms of wall clock), NaN when not measured. */
    decisionMs: Float64Array;
    /** Slot of the decision in force (-1 none). */
    decidedSlot: Int32Array;
  };
  shadows: ShadowMetrics[];
}
