#!/usr/bin/env bash
# Fuzzes the sync path's reading (Sources/scanner-fuzz: the scanner, WireBounds, ChangeCheck and
# the checksum, with JSONDecoder as the oracle) with libFuzzer for SECONDS (default 60), starting
# from the committed corpus (Tests/Fuzz/corpus). Exits non-zero on a finding, whose input is kept
# in .build-fuzz/findings/. Usage: bash Deploy/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build --product scanner-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -parse-as-library -Xcc -DFUZZING
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p .build-fuzz/findings
# New inputs go to the scratch folder; the committed corpus is read only.
.build-fuzz/debug/scanner-fuzz -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
  -artifact_prefix=.build-fuzz/findings/ "$work" Tests/Fuzz/corpus
echo "fuzz: ${seconds} s without a finding"
