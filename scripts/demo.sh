#!/usr/bin/env bash
# Build mmkit and run `mmkit demo` on the default machine (the README's first
# command). Extra arguments go to the demo, e.g. --boot "mem=64M".
set -eu
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -s -j"$(nproc 2>/dev/null || echo 2)" build/bin/mmkit
exec build/bin/mmkit demo "$@"
