#!/usr/bin/env bash
# Paper 001's benchmark in the twin (docs/teacher-student.md, "Twin mode"): scenarios/paper001-road.yaml
# and five variants of its decision period and CSI timing, then the table of min SINR, sum rate and
# sensing SNR per run. About 10 CPU-minutes (the every-slot run decides 200 times at ≈ 0.5 s).
# Usage: scripts/paper001-twin.sh [out-dir, default twin-runs/paper001-twin]
set -euo pipefail
cd "$(dirname "$0")/.."
D="${1:-twin-runs/paper001-twin}"
mkdir -p "$D"
S=scenarios/paper001-road.yaml
instant() { sed "s/latency: measured, fallback: mrt }/latency: none, fallback: mrt }/; s/periodSlots: 1, latency: none/periodSlots: $1, latency: none/" "$S"; }
fresh() { sed 's/pilotPeriodSlots: 10/pilotPeriodSlots: 1/; s/csiFeedbackDelayMs: 1/csiFeedbackDelayMs: 0/; s/backhaul: { delayMs: 1, jitterMs: 0.1 }/backhaul: { delayMs: 0, jitterMs: 0 }/'; }
instant 100 > "$D/p100.yaml"
instant 10 > "$D/p10.yaml"
sed 's/policy: jsc-benchmark/policy: mrt/' "$D/p10.yaml" > "$D/mrt.yaml"
fresh < "$D/p10.yaml" > "$D/fresh10.yaml"
instant 1 | fresh > "$D/fresh1.yaml"
run() { node bin/isac-twin.js run "$1" --slots "$2" --out "$D/$3.sqlite" > "$D/$3.log" 2>&1; echo "$3: $(grep -m1 'run ' "$D/$3.log")"; }
run "$D/fresh1.yaml" 200 fresh1
run "$D/fresh10.yaml" 1000 fresh10
run "$D/p10.yaml" 1000 p10
run "$D/p100.yaml" 6000 p100
run "$D/mrt.yaml" 1000 mrt
run "$S" 6000 measured
node - "$D" <<'JS'
const Database = require('better-sqlite3');
const dir = process.argv[2];
const q = (f, lo, hi) => new Database(`${dir}/${f}.sqlite`, { readonly: true }).prepare(`
  SELECT COUNT(*) n, AVG(m.min_db) min_sinr_db, AVG(m.sum_rate) sum_rate, AVG(t.sens_sinr_db) ssnr_db, AVG(m.csi_age) csi_age
  FROM (SELECT slot, MIN(sinr_db) min_db, SUM(rate) sum_rate, AVG(csi_age_slots) csi_age FROM user_slots GROUP BY slot) m
  JOIN bs_slots b ON b.slot = m.slot AND b.bs = 0 JOIN target_slots t ON t.slot = m.slot AND t.target = 0
  WHERE m.slot >= ? AND m.slot < ? AND b.policy != 'none'`).get(lo, hi);
const f = (x, d = 2) => (x == null ? '–' : x.toFixed(d));
console.log('| run | slots | CSI age (slots) | min SINR (dB) | sum rate | SSNR (dB) |\n| --- | --- | --- | --- | --- | --- |');
for (const [name, lo, hi] of [['fresh1', 20, 200], ['fresh10', 20, 200], ['p10', 20, 200], ['p100', 20, 200], ['mrt', 20, 200], ['measured', 1000, 6000]]) {
  const r = q(name, lo, hi);
  console.log(`| ${name} | ${lo}–${hi - 1} | ${f(r.csi_age, 1)} | ${f(r.min_sinr_db)} | ${f(r.sum_rate)} | ${f(r.ssnr_db)} |`);
}
JS
