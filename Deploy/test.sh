#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages it needs, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
