#!/usr/bin/env bash
# One command from a fresh machine to a mounted sample workspace: installs
# the dependencies, builds notionfs and runs `notionfs demo [MOUNTPOINT]`
# (the bundled Notion API emulator with the sample workspace, mounted in
# the foreground; Ctrl-C or `fusermount3 -u MOUNTPOINT` stops both).
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/fs/notionfs demo "$@"
