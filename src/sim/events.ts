/**
 * What the twin reports to the outside world. The core emits these on RxJS subjects and never
 * knows who listens (the SQLite logger, the dashboard, a progress bar, a test's trace recorder).
 * Times are simulated microseconds; slots are indices from 0.
 */
import type { LinkCounters } from './fronthaul.ts';
import type { BeampatternSlot } from '../metrics/beampattern-meter.ts';

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
      /** Message kind (sim/fronthaul.ts): csi, beams, power, round, echo-share. */
      payload: 'csi' | 'beams' | 'power' | 'round' | 'echo-share';
      sentUs: number;
      /** Payload size (bits). */
      bits: number;
    }
  | {
      /** A user's primary AP (or a target's sensing AP) changed; `version` is the new association's. */
      kind: 'handover';
      tUs: number;
      slot: number;
      node: 'user' | 'target';
      index: number;
      from: number;
      to: number;
      version: number;
    }
  | {
      /** The association in force from now on (also at slot 0): per user the APs carrying its stream. */
      kind: 'association';
      tUs: number;
      slot: number;
      version: number;
      userAps: number[][];
      targetBs: number[];
    }
  | { kind: 'decision'; tUs: number; slot: number; by: number; policy: string; computeMs: number | null; latencyUs: number }
  | { kind: 'apply'; tUs: number; slot: number; bs: number; policy: string; decidedSlot: number; fallback: boolean }
  | { kind: 'deadline-miss'; tUs: number; slot: number; by: number; policy: string; latencyUs: number; fallback: string }
  | { kind: 'warning'; tUs: number; slot: number; message: string }
  | {
      /** A solver-based decision (paper 003 designs): outcome, iterations, rank-one ratio. */
      kind: 'solve';
      tUs: number;
      slot: number;
      by: number;
      policy: string;
      status: string;
      iterations: number;
      /** min λ₁/tr over the relaxed beams (null when there is no relaxation). */
      rankOneRatio: number | null;
      extraction: string;
      /** Σ C_{x,y} (m²) the design expects on its own data. */
      predictedCrlbM2: number | null;
      /** The fallback that acts because the design failed (null: it did not). */
      fallback: string | null;
    };

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
  /** Version of the association in force (see the `association` events). */
  associationVersion: number;
  /** [numUsers] primary AP of each user, [numTargets] sensing AP of each target in this slot. */
  userBs: Int32Array;
  targetBs: Int32Array;
  /** Fronthaul traffic offered during this slot, per AP link. */
  fronthaul: LinkCounters;
  /** TOA localisation (paper 003), when the scenario localises targets. */
  loc?: LocSlot;
  /** Every AP's transmit beampattern and L_r (scenario `sensing.beampattern`, on its slots). */
  beampattern?: BeampatternSlot;
}

/** Localisation of one slot: per localised target, and the design behind the beams in force. */
export interface LocSlot {
  /** [numLocTargets, 2] true positions (m). */
  posM: Float64Array;
  /** [numLocTargets, 2] the central controller's latest estimates (m). */
  estPosM: Float64Array;
  /** [numLocTargets] slot of the sensing interval of that estimate (-1: the initial cue). */
  estSlot: Int32Array;
  /** [numLocTargets] C_{x,y} = [C]₁₁ + [C]₂₂ (m², eq. 10) on the true geometry with the beams in force; +∞: not localisable. */
  crlbM2: Float64Array;
  /** [numLocTargets] [C]₁₁ and [C]₂₂ (m²). */
  crlbXM2: Float64Array;
  crlbYM2: Float64Array;
  /** Policy of the decision in force (the designing policy, also when its fallback acts). */
  policy: string;
  /** Its solver status, iterations and min rank-one ratio (null / NaN when it had none). */
  solverStatus: string | null;
  solverIterations: number;
  rankOneRatio: number;
  /** The design failed (e.g. infeasible Γ) and its fallback's beams are in force. */
  infeasible: boolean;
  /** Slot of that decision (-1: none yet). */
  decidedSlot: number;
}
