#!/bin/sh
# run-fuzz.sh SECONDS - builds fs/md/fuzz_mdconv.c with clang's libFuzzer (+ASan/UBSan) and
# runs it for SECONDS (default 60), seeded with the Markdown of fs/md/testdata and the recorded
# fixtures.  Work files go to a temporary directory that is removed afterwards; a crash input
# is copied to ./fuzz-crash-* in the current directory.  Exit status: the fuzzer's.
set -eu
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$root" \
	"$here/fuzz_mdconv.c" "$here/util.c" "$here/rich_text.c" "$here/render.c" \
	"$here/parse.c" "$here/build.c" "$here/diff.c" "$root/common/buf.c" \
	$(pkg-config --cflags --libs libcjson md4c) -o "$work/fuzz_mdconv"

mkdir -p "$work/corpus"
# Seeds: mode byte 0 + Markdown, mode byte 1 + JSON.
if [ -f "$here/testdata/all_types.md" ]; then
	{ printf '\000'; cat "$here/testdata/all_types.md"; } > "$work/corpus/md-all"
	{ printf '\001'; cat "$here/testdata/all_types.json"; } > "$work/corpus/json-all"
fi
n=0
for f in "$root/../shared/notion-fixtures"/*.json; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	{ printf '\001'; head -c 60000 "$f"; } > "$work/corpus/fixture-$n"
done

cd "$work"
status=0
./fuzz_mdconv -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 corpus || status=$?
for c in crash-* leak-* timeout-* oom-*; do
	[ -f "$c" ] && cp "$c" "$OLDPWD/fuzz-$c" && echo "saved $OLDPWD/fuzz-$c"
done
exit $status
