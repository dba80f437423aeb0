#!/bin/bash
# run-fuzz.sh [SECONDS] - fuzzes the Markdown converter (fs/md/fuzz_mdconv.c) open-ended with
# a random seed for SECONDS (default 60).  Kept for habit: it runs
# `tests/run-fuzz.sh -t SECONDS mdconv` (see there: corpus, artifacts, summary line, exit
# status 0 passed / 1 failed / 77 skipped).  CI runs every target deterministically instead
# (tests/test_fuzz.py: fixed seed, fixed number of runs).
set -u
secs=${1:-60}
case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../../tests/run-fuzz.sh" -t "$secs" mdconv
