#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages it needs, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# prometheus for promtool; chromium and a CJK font for the console's browser tests; testssl.sh to
# judge the aggregator's TLS; LibreOffice to open the finance bureau's workbook.
bash Deploy/install-deps.sh prometheus chromium fonts-wqy-zenhei testssl.sh libreoffice-calc-nogui

# The schema tests validate the example payloads with Python's jsonschema (4.18 or later, for
# `referencing`) and with the stock check-jsonschema, the fuzz test runs schemathesis against
# the aggregator, the console's browser tests drive Chromium with Playwright, and the import tests
# read workbooks openpyxl writes. Where the system Python lacks them, a private virtual
# environment gets them from PyPI.
if ! python3 -c 'import jsonschema, referencing, playwright, openpyxl' 2>/dev/null || ! command -v schemathesis >/dev/null || ! command -v check-jsonschema >/dev/null; then
  if [ ! -x .build/python/bin/schemathesis ] || [ ! -x .build/python/bin/check-jsonschema ] || ! .build/python/bin/python -c 'import playwright, openpyxl' 2>/dev/null; then
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
    .build/python/bin/pip install -q 'jsonschema>=4.18' 'schemathesis==4.32.5' 'check-jsonschema==0.39.0' 'playwright==1.65.2' 'openpyxl==3.1.5'
  fi
  export PATH="$PWD/.build/python/bin:$PATH"
fi
# The fuzz and browser tests refuse to skip themselves when this script runs them.
export COUNTY_SYNC_REQUIRE_FUZZ=1
export COUNTY_SYNC_REQUIRE_BROWSER=1
export COUNTY_SYNC_REQUIRE_LIBREOFFICE=1
export COUNTY_SYNC_REQUIRE_OPENPYXL=1

swift build --build-tests
# At most six tests at once: the end-to-end tests each run an aggregator, daemons and sqlite3
# shells, and on two cores an unbounded run starves the ones that wait on a clock (locks held
# for a time, handshake deadlines). Six runs the suite faster than unbounded, and steadier.
swift test --skip-build --experimental-maximum-parallelization-width 6 "$@"
