#!/usr/bin/env bash
# Runs the reference-model test (tests/model/test_model.py) with random seeds
# for a given time: tests/model/run-model.sh [SECONDS=600] [SEEDS_PER_RUN=10].
# A failing seed is printed with its whole operation sequence; replay it with
#   NOTIONFS_MODEL_SEEDS=SEED /usr/bin/python3 -m pytest tests/model
# NOTIONFS_MODEL_STEPS sets the sequence length (default 25).  The log of a
# failed run is kept as ${TMPDIR:-/tmp}/run-model-failure-PID-N.log.
# Exit status: 0 when every run passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
per=${2:-10}
build=${NOTIONFS_BUILD:-build}
if [ ! -d "$build" ]; then
  meson setup "$build" >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || exit 1
export NOTIONFS_BUILD=$PWD/$build
end=$((SECONDS + secs))
runs=0
failed=0
while [ "$SECONDS" -lt "$end" ]; do
  runs=$((runs + 1))
  if ! NOTIONFS_MODEL_SEEDS="random:$per" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
      tests/model 2>&1 | tee "/tmp/run-model.$$.log" | tail -1; then
    failed=$((failed + 1))
    grep -E "^seed [0-9]+ failed" "/tmp/run-model.$$.log"
    keep="${TMPDIR:-/tmp}/run-model-failure-$$-$runs.log"
    cp "/tmp/run-model.$$.log" "$keep"
    echo "details: $keep"
  fi
done
rm -f "/tmp/run-model.$$.log"
echo "run-model: $runs runs of $per seeds, $failed failed"
[ "$failed" -eq 0 ]
