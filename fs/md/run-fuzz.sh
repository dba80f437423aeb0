#!/bin/bash
# run-fuzz.sh [SECONDS] - fuzzes the Markdown converter (fs/md/fuzz_mdconv.c) with libFuzzer.
#
# Builds the target with clang -fsanitize=fuzzer,address,undefined into a fresh directory under
# /tmp (never the source tree), seeds the fixed corpus directory $MDCONV_FUZZ_CORPUS (default
# /tmp/mdconv-fuzz-corpus, created if missing and kept between runs so coverage accumulates)
# with fs/md/testdata and the recorded fixtures, and runs for SECONDS (default 60).
# Any crash, leak, timeout or out-of-memory report fails the run; its input is copied to
# /tmp/mdconv-fuzz-artifacts/.  The last line is a summary: "1 passed, 0 failed" or
# "0 passed, 1 failed".  Exit status: 0 passed, 1 failed, 77 skipped (clang or its libFuzzer
# runtime is not installed).
set -u
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${MDCONV_FUZZ_CORPUS:-/tmp/mdconv-fuzz-corpus}
artifacts=/tmp/mdconv-fuzz-artifacts
work=$(mktemp -d /tmp/mdconv-fuzz-build.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

skip() {
	echo "skipped: $1"
	echo "0 passed, 0 failed"
	exit 77
}

summary() {
	if [ "$1" = ok ]; then
		echo "1 passed, 0 failed"
		exit 0
	fi
	echo "0 passed, 1 failed"
	exit 1
}

case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
command -v clang >/dev/null 2>&1 || skip "clang not installed"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	> "$work/probe.c"
clang -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" 2>/dev/null ||
	skip "clang's libFuzzer runtime is not installed"
flags=$(pkg-config --cflags --libs libcjson md4c 2>/dev/null) || skip "libcjson/md4c not found"

# shellcheck disable=SC2086
if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root" \
	"$here/fuzz_mdconv.c" "$here/util.c" "$here/rich_text.c" "$here/render.c" \
	"$here/parse.c" "$here/build.c" "$here/diff.c" "$root/common/buf.c" \
	$flags -o "$work/fuzz_mdconv"; then
	echo "build failed"
	summary fail
fi

# Seeds: mode byte 0 + Markdown, mode byte 1 + JSON.
mkdir -p "$corpus" || summary fail
for f in "$here"/testdata/*.md; do
	[ -f "$f" ] && { printf '\000'; cat "$f"; } > "$corpus/seed-md-$(basename "$f")"
done
for f in "$here"/testdata/*.json; do
	[ -f "$f" ] && { printf '\001'; cat "$f"; } > "$corpus/seed-json-$(basename "$f")"
done
for f in "$root/../shared/notion-fixtures"/*.json; do
	[ -f "$f" ] && { printf '\001'; head -c 60000 "$f"; } > "$corpus/seed-fixture-$(basename "$f")"
done

status=0
"$work/fuzz_mdconv" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$work/" -print_final_stats=1 \
	"$corpus" 2>"$work/log" || status=$?
tail -n 20 "$work/log"
found=0
for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
	[ -f "$c" ] || continue
	case "$c" in */slow-unit-*) continue ;; esac
	found=1
	mkdir -p "$artifacts" && cp "$c" "$artifacts/" && echo "saved $artifacts/$(basename "$c")"
done
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ] ||
	grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$work/log"; then
	summary fail
fi
summary ok
