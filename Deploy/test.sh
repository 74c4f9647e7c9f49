#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages it needs, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh prometheus

# The schema tests validate the example payloads with Python's jsonschema (4.18 or later, for
# `referencing`) and with the stock check-jsonschema, and the fuzz test runs schemathesis against
# the aggregator. Where the system Python lacks them, a private virtual environment gets them
# from PyPI.
if ! python3 -c 'import jsonschema, referencing' 2>/dev/null || ! command -v schemathesis >/dev/null || ! command -v check-jsonschema >/dev/null; then
  if [ ! -x .build/python/bin/schemathesis ] || [ ! -x .build/python/bin/check-jsonschema ]; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
      if [ "$(id -u)" -ne 0 ]; then
        echo "the tests need python3 with venv (apt-get install python3-venv), or jsonschema, schemathesis and check-jsonschema installed" >&2
        exit 1
      fi
      apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv
    fi
    mkdir -p .build
    python3 -m venv .build/python
    .build/python/bin/pip install -q 'jsonschema>=4.18' 'schemathesis==4.32.5' 'check-jsonschema==0.39.0'
  fi
  export PATH="$PWD/.build/python/bin:$PATH"
fi
# The fuzz test refuses to skip itself when this script runs it.
export COUNTY_SYNC_REQUIRE_FUZZ=1

swift build --build-tests
swift test --skip-build "$@"
