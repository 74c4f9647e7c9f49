#!/usr/bin/env bash
# Runs every performance figure of the project, each beside its baseline from the same run:
# installs what the baselines need (gcc, nginx, python3; as root), builds the release binaries,
# runs `sync-bench report` (the table of ../shared/perf's targets), then with LOAD=1 the load
# generator (18, 300 and 2,800 counties against one aggregator, nginx beside it).
# Arguments go to `sync-bench report` (e.g. --rows 20000 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh gcc nginx python3
swift build -c release
.build/release/sync-bench report "$@"
if [ "${LOAD:-0}" = 1 ]; then
  .build/release/sync-bench load --pki .build/load-pki
fi
