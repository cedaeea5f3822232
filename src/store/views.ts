/**
 * SQL views for the common questions about a run database (documented in docs/analysis.md).
 * They only read the tables of src/store/schema.ts, so `VIEWS_SQL` can run right after
 * `SCHEMA_SQL` on a fresh database. The analysis commands create them in a run database that is
 * writable and finished; they never rely on the stored definitions but use `viewSelect(name)` as
 * a subquery, so an older database with older views still gets today's definitions.
 *
 * Units: rates bit/s/Hz, SINR dB, times s or ms as named, CSI age in slots.
 */

export interface ViewDef {
  name: string;
  /** One line for the guide. */
  summary: string;
  /** The SELECT statement (no trailing semicolon). */
  select: string;
}

/** Rate below which a user-slot counts as an outage in the views (bit/s/Hz). */
export const VIEW_OUTAGE_RATE = 0.1;

export const VIEWS: readonly ViewDef[] = [
  {
    name: 'v_slots',
    summary: 'network metrics per logged slot, with time in seconds',
    select: `SELECT slot, t_ms / 1000.0 AS t_s, rc, rs, objective FROM slots`,
  },
  {
    name: 'v_bs_means',
    summary: 'per BS: logged slots, mean sum rate, radar rate, power, decision time, fallback share',
    select: `SELECT bs, count(*) AS n_slots, avg(sum_rate) AS mean_sum_rate, avg(radar_rate) AS mean_radar_rate,
  avg(power_w) AS mean_power_w, avg(decision_ms) AS mean_decision_ms, avg(fallback) AS fallback_share
FROM bs_slots GROUP BY bs`,
  },
  {
    name: 'v_user_outage',
    summary: `per user: mean rate, SINR and CSI age, and the share of slots with rate < ${VIEW_OUTAGE_RATE} bit/s/Hz`,
    select: `SELECT user, min(bs) AS bs, count(*) AS n_slots, avg(rate) AS mean_rate, avg(sinr_db) AS mean_sinr_db,
  avg(csi_age_slots) AS mean_csi_age_slots, avg(rate < ${VIEW_OUTAGE_RATE}) AS outage_share
FROM user_slots GROUP BY user`,
  },
  {
    name: 'v_target_means',
    summary: 'per target: mean sensing SINR, radar rate and absolute angle-estimate error',
    // Angles are in (−180°, 180°]: the error wraps around ±180°.
    select: `SELECT target, min(bs) AS bs, count(*) AS n_slots, avg(sens_sinr_db) AS mean_sens_sinr_db, avg(radar_rate) AS mean_radar_rate,
  avg(CASE WHEN abs(theta_est_deg - theta_deg) > 180 THEN 360 - abs(theta_est_deg - theta_deg) ELSE abs(theta_est_deg - theta_deg) END)
    AS mean_abs_angle_error_deg
FROM target_slots GROUP BY target`,
  },
  {
    name: 'v_shadow_gaps',
    summary: 'per slot and shadow policy: acting minus shadow R_c, R_s and objective',
    select: `SELECT s.slot AS slot, s.t_ms / 1000.0 AS t_s, sh.policy AS shadow, s.rc - sh.rc AS rc_gap, s.rs - sh.rs AS rs_gap,
  s.objective - sh.objective AS objective_gap
FROM slots AS s JOIN shadow_slots AS sh ON sh.slot = s.slot`,
  },
  {
    name: 'v_shadow_gap_means',
    summary: 'per shadow policy: mean gaps and the share of slots where the acting policy did better',
    select: `SELECT sh.policy AS shadow, count(*) AS n_slots, avg(s.rc - sh.rc) AS mean_rc_gap, avg(s.rs - sh.rs) AS mean_rs_gap,
  avg(s.objective - sh.objective) AS mean_objective_gap, avg(s.objective > sh.objective) AS acting_better_share
FROM slots AS s JOIN shadow_slots AS sh ON sh.slot = s.slot GROUP BY sh.policy`,
  },
  {
    name: 'v_csi_age_rate',
    summary: 'CSI age vs rate: per age in slots, user-slots, mean rate and mean SINR',
    select: `SELECT csi_age_slots, count(*) AS n, avg(rate) AS mean_rate, avg(sinr_db) AS mean_sinr_db
FROM user_slots WHERE csi_age_slots IS NOT NULL GROUP BY csi_age_slots`,
  },
  {
    name: 'v_event_counts',
    summary: 'per event kind: count and first/last slot',
    select: `SELECT kind, count(*) AS n, min(slot) AS first_slot, max(slot) AS last_slot FROM events GROUP BY kind`,
  },
];

/** `CREATE VIEW IF NOT EXISTS …` for every view, one statement each. */
export const VIEWS_SQL: string = VIEWS.map((v) => `CREATE VIEW IF NOT EXISTS ${v.name} AS\n${v.select};\n`).join('');

/** The SELECT of a view, to use as a subquery: `SELECT * FROM (${viewSelect('v_bs_means')})`. */
export function viewSelect(name: string): string {
  const v = VIEWS.find((x) => x.name === name);
  if (!v) throw new RangeError(`no view named ${name}`);
  return v.select;
}
