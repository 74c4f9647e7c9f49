#!/usr/bin/env bash
# Installs the system packages County Sync builds and runs with (Debian/Ubuntu, as root), and the
# extra packages named as arguments (the tests add prometheus, for promtool).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev zlib1g-dev libxml2 sqlite3 openssl faketime curl systemd "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}"
apt-get update -q
# LibreOffice is installed with what it recommends (its headless conversion is what was tested);
# everything else without.
plain=()
with_recommends=()
for package in "${missing[@]}"; do
  case "$package" in
    libreoffice*) with_recommends+=("$package") ;;
    *) plain+=("$package") ;;
  esac
done
if [ ${#plain[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${plain[@]}"
fi
if [ ${#with_recommends[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${with_recommends[@]}"
fi
