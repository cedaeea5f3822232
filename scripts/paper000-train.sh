#!/bin/sh
# Paper 000 at its own setting (issue 14; docs/vfl.md "Paper setting"): the full training programme
# in resumable chunks, then the figures.
#
#   scripts/paper000-train.sh [budget-minutes]        # default 60; run again to continue
#
# Trains, one after the other (claims' end points first, see the loops below), on scenarios/paper000.yaml
# (N_T = 12, J = 2): vfl ρ ∈ {0.99, 0.01, 0.5, 0.1, 0.3, 0.7, 0.9}, percell ρ ∈ {0.99, 0.01}
# and on scenarios/paper000-nt20.yaml (N_T = 20): vfl at the same seven ρ — 16 models, each with
# log-gain features, a per-sample SNR spread over 0–30 dB (cell-edge), 20,000 samples, batch 128,
# weight decay 1e-6 (Table I), lr $LR (default 1e-4, Table I) on a reduce-on-plateau schedule
# (×0.5 after 3 flat epochs), early stopping on the smoothed validation loss (patience 8,
# min-delta 1e-3), at most $EPOCHS epochs (default 200).
# A model that is finished is skipped; an unfinished one resumes from its checkpoint (every epoch
# is checkpointed: models + Adam state + metadata). When the budget runs out, the training in
# progress gets SIGTERM, checkpoints its last finished epoch and the script stops; the same
# command continues. Once all 16 are finished it writes `figures vfl --paper` to $FIGURES.
# Both cores: start the script twice (e.g. two nohup lines); each process takes the next model the other
# does not hold (a lock directory per model), each model logs to $OUT/<model>.log.
#
# Environment: OUT (model folder, default twin-runs/models; copy finished models to models/ to ship
# them), FIGURES (default docs/figures/paper000), LR, EPOCHS, SAMPLES (20000), TEST (2000), NICE (10).
set -u
cd "$(dirname "$0")/.."
BUDGET_MIN=${1:-60}
OUT=${OUT:-twin-runs/models}
FIGURES=${FIGURES:-docs/figures/paper000}
LR=${LR:-1e-4}
EPOCHS=${EPOCHS:-200}
SAMPLES=${SAMPLES:-20000}
TEST=${TEST:-2000}
NICE=${NICE:-10}
START=$(date +%s)
DEADLINE=$((START + BUDGET_MIN * 60))

finished() {
  [ -f "$1/metadata.json" ] && node -e "process.exit(JSON.parse(require('fs').readFileSync('$1/metadata.json','utf8')).finished ? 0 : 1)"
}

# One model at a time per process; a second process (started alongside, one per core) takes the next
# model nobody holds: a model is held by the directory $dir.lock with the holder's pid (a dead holder's
# lock is taken over).
HELD=""
release() { [ -n "$HELD" ] && rm -rf "$HELD"; HELD=""; }
trap 'release' EXIT
trap 'release; exit 3' INT TERM
claim() {
  lock="$1.lock"
  if mkdir "$lock" 2>/dev/null; then echo $$ > "$lock/pid"; HELD="$lock"; return 0; fi
  pid=$(cat "$lock/pid" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 1; fi
  rm -rf "$lock"
  mkdir "$lock" 2>/dev/null || return 1
  echo $$ > "$lock/pid"; HELD="$lock"
}

SKIPPED=0
# train <scenario file> <scenario name> <family> <rho>
train() {
  dir="$OUT/$2-$3-rho$4"
  if finished "$dir"; then echo "done: $dir"; return 0; fi
  if ! claim "$dir"; then echo "held by another process: $dir"; SKIPPED=1; return 0; fi
  left=$((DEADLINE - $(date +%s)))
  if [ "$left" -le 30 ]; then echo "budget spent; run again to continue with $dir"; exit 3; fi
  echo "training $dir for at most $((left / 60)) min"
  timeout -s TERM -k 120 "$left" nice -n "$NICE" node bin/isac-twin.js train "$1" --family "$3" --rho "$4" \
    --train-samples "$SAMPLES" --test-samples "$TEST" --epochs "$EPOCHS" --lr "$LR" \
    --features log-gain --snr-range 0,30 --lr-schedule plateau --patience 8 --min-delta 1e-3 --smoothing 0.5 \
    --out "$dir" >> "$OUT/$2-$3-rho$4.log" 2>&1
  rc=$?
  release
  if [ $rc -ne 0 ]; then echo "stopped ($rc): $dir is checkpointed; run again to resume"; exit 3; fi
}

mkdir -p "$OUT"
# Claims first: every claim's end points (claims 1-4 at N_T = 12, claim 2's per-cell pair, claim 5's
# N_T = 20 end points and middle), then the rest of both fronts.
for rho in 0.99 0.01 0.5 0.1 0.3; do train scenarios/paper000.yaml paper000 vfl "$rho"; done
train scenarios/paper000.yaml paper000 percell 0.99
for rho in 0.99 0.01 0.5; do train scenarios/paper000-nt20.yaml paper000-nt20 vfl "$rho"; done
train scenarios/paper000.yaml paper000 percell 0.01
for rho in 0.7 0.9; do train scenarios/paper000.yaml paper000 vfl "$rho"; done
for rho in 0.1 0.3 0.7 0.9; do train scenarios/paper000-nt20.yaml paper000-nt20 vfl "$rho"; done
if [ "$SKIPPED" -ne 0 ]; then echo "this process is done; another one still trains (see its log); run again when it ends for the figures"; exit 0; fi
echo "all 16 models finished; writing the figures to $FIGURES"
nice -n "$NICE" node bin/isac-twin.js figures vfl --paper --models "$OUT" --test-samples "$TEST" --out "$FIGURES"
