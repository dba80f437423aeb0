#!/bin/bash
# run-fuzz.sh - builds and runs notionfs's libFuzzer targets under ASan/UBSan.
#
#   tests/run-fuzz.sh -s SEED -r RUNS [TARGET...]   deterministic (CI): replay, then SEED/RUNS
#   tests/run-fuzz.sh [-t SECONDS] [TARGET...]      open-ended: random seed, SECONDS each
#                                                   (default 60), corpus kept between runs
#
# Targets (default: all): mdconv (fs/md/fuzz_mdconv.c), fm (fs/props/fuzz_fm.c),
# model (sync/fuzz_model.c), names (fs/fuzz_names.c).  Each has a committed corpus
# (fs/md/fuzz-corpus, fs/props/fuzz-corpus, sync/fuzz-corpus, fs/fuzz-corpus; mdconv also
# gets fs/md/testdata and the shared fixtures with a mode byte).  For each target:
#  1. build with clang -fsanitize=fuzzer,address,undefined into a fresh directory under /tmp;
#  2. replay every committed corpus file once (a known crash must stay fixed);
#  3. fuzz: with -s/-r, libFuzzer -seed=SEED -runs=RUNS on a throw-away copy of the corpus
#     (the same inputs and the same mutations on every run: no time bound, so the outcome
#     does not depend on the machine's speed); with -t, -max_total_time=SECONDS and a random
#     seed on the corpus directory $NOTIONFS_FUZZ_CORPUS/TARGET (default
#     /tmp/notionfs-fuzz-corpus/TARGET), kept so coverage accumulates.
# RUNS is per target (tests/test_fuzz.py gives each target its own).
# Any crash, leak, timeout or out-of-memory report fails the target; its input is copied to
# /tmp/notionfs-fuzz-artifacts/TARGET/ (add it to the target's corpus once it is fixed).
# The last line is a summary: "N passed, M failed".  Exit status: 0 all passed, 1 a failure,
# 77 skipped (clang or its libFuzzer runtime is not installed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seed='' runs='' secs=60
while getopts 's:r:t:' opt; do
	case "$opt" in
	s) seed=$OPTARG ;;
	r) runs=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-s SEED -r RUNS | -t SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for v in "$seed" "$runs" "$secs"; do
	case "$v" in *[!0-9]*) echo "$0: SEED, RUNS and SECONDS are numbers" >&2; exit 2 ;; esac
done
if { [ -n "$seed" ] && [ -z "$runs" ]; } || { [ -z "$seed" ] && [ -n "$runs" ]; }; then
	echo "$0: -s and -r go together" >&2
	exit 2
fi
targets=${*:-mdconv fm model names}
artifacts=/tmp/notionfs-fuzz-artifacts
work=$(mktemp -d /tmp/notionfs-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

skip() {
	echo "skipped: $1"
	echo "0 passed, 0 failed"
	exit 77
}

command -v clang >/dev/null 2>&1 || skip "clang not installed"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	> "$work/probe.c"
clang -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" 2>/dev/null ||
	skip "clang's libFuzzer runtime is not installed"

# target -> sources, pkg-config packages, committed corpus, max input length
sources() {
	case "$1" in
	mdconv) echo fs/md/fuzz_mdconv.c fs/md/util.c fs/md/rich_text.c fs/md/render.c \
		fs/md/parse.c fs/md/build.c fs/md/diff.c ;;
	fm) echo fs/props/fuzz_fm.c fs/props/fm_types.c fs/props/fm_yaml.c fs/props/fm_render.c \
		fs/props/fm_schema.c fs/props/fm_split.c fs/props/fm_convert.c fs/props/fm_diff.c ;;
	model) echo sync/fuzz_model.c sync/model.c ;;
	names) echo fs/fuzz_names.c fs/names.c ;;
	esac
}
packages() {
	case "$1" in
	mdconv) echo libcjson md4c ;;
	fm) echo libcjson yaml-0.1 ;;
	*) echo libcjson ;;
	esac
}
corpus_of() {
	case "$1" in
	mdconv) echo fs/md/fuzz-corpus ;;
	fm) echo fs/props/fuzz-corpus ;;
	model) echo sync/fuzz-corpus ;;
	names) echo fs/fuzz-corpus ;;
	esac
}
maxlen_of() {
	case "$1" in
	mdconv) echo 65536 ;;
	names) echo 1024 ;;
	*) echo 16384 ;;
	esac
}

# Copies the generated mdconv seeds (mode byte 0 + Markdown, 1 + JSON) into $1.
mdconv_seeds() {
	local f
	for f in "$root"/fs/md/testdata/*.md; do
		[ -f "$f" ] && { printf '\000'; cat "$f"; } > "$1/seed-md-$(basename "$f")"
	done
	for f in "$root"/fs/md/testdata/*.json; do
		[ -f "$f" ] && { printf '\001'; cat "$f"; } > "$1/seed-json-$(basename "$f")"
	done
	for f in "$root/../shared/notion-fixtures"/*.json; do
		[ -f "$f" ] && { printf '\001'; head -c 60000 "$f"; } > "$1/seed-fixture-$(basename "$f")"
	done
	return 0
}

# run_target NAME: 0 passed, 1 failed
run_target() {
	local t=$1 bin=$work/fuzz_$1 src flags corpus log=$work/$1.log status=0 c found=0
	local -a committed=()

	src=$(sources "$t")
	[ -n "$src" ] || { echo "$t: unknown target"; return 1; }
	flags=$(pkg-config --cflags --libs $(packages "$t") 2>/dev/null) ||
		{ echo "$t: libraries not found"; return 1; }
	# shellcheck disable=SC2086
	if ! (cd "$root" && clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root" \
		$src common/buf.c common/utf8.c common/json.c common/isotime.c $flags -lm -o "$bin"); then
		echo "$t: build failed"
		return 1
	fi
	mkdir -p "$work/$t-art"
	for c in "$root/$(corpus_of "$t")"/*; do
		[ -f "$c" ] && committed+=("$c")
	done
	if [ ${#committed[@]} -gt 0 ] &&
		! "$bin" -runs=1 -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
			-artifact_prefix="$work/$t-art/" "${committed[@]}" >"$log" 2>&1; then
		echo "$t: the committed corpus fails:"
		tail -n 20 "$log"
		status=1
	fi
	if [ "$status" -eq 0 ]; then
		if [ -n "$seed" ]; then
			corpus=$work/$t-corpus
			set -- -seed="$seed" -runs="$runs"
		else
			corpus=${NOTIONFS_FUZZ_CORPUS:-/tmp/notionfs-fuzz-corpus}/$t
			set -- -max_total_time="$secs"
		fi
		mkdir -p "$corpus" || return 1
		[ ${#committed[@]} -gt 0 ] && cp "${committed[@]}" "$corpus/"
		[ "$t" = mdconv ] && mdconv_seeds "$corpus"
		"$bin" "$@" -max_len="$(maxlen_of "$t")" -timeout=10 -rss_limit_mb=2048 \
			-error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$work/$t-art/" \
			-print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
		grep -E '^INFO: Seed:|DONE|stat::number_of_executed_units' "$log" | sed "s/^/$t: /"
	fi
	for c in "$work/$t-art"/*; do
		[ -f "$c" ] || continue
		case "$c" in */slow-unit-*) continue ;; esac
		found=1
		mkdir -p "$artifacts/$t" && cp "$c" "$artifacts/$t/" &&
			echo "$t: saved $artifacts/$t/$(basename "$c")"
	done
	if [ "$status" -ne 0 ] || [ "$found" -ne 0 ] ||
		grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		tail -n 30 "$log"
		echo "$t: FAILED"
		return 1
	fi
	echo "$t: ok"
	return 0
}

passed=0 failed=0
for t in $targets; do
	if run_target "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
