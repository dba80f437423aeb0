#!/usr/bin/env bash
# Installs notionfs's build and test dependencies from Debian's packages
# (the list is .ci/packages.txt).  Needs root, or sudo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -q
# shellcheck disable=SC2046
$sudo_cmd apt-get install -y -q --no-install-recommends $(cat "$here/.ci/packages.txt") >/dev/null
