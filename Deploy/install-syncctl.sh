#!/usr/bin/env bash
# Installs syncctl with its shell completions (bash, zsh, fish) and its manual page, under
# /usr/local. Usage: Deploy/install-syncctl.sh [BINARY] (default .build/release/syncctl, from
# `swift build -c release --product syncctl`). DESTDIR, when set, goes in front of every path
# (a package's staging folder).
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/syncctl}"
dest="${DESTDIR:-}"
if [ ! -x "$binary" ]; then
  echo "no syncctl at $binary: build it first (swift build -c release --product syncctl)" >&2
  exit 1
fi
share="$dest/usr/local/share"
install -D -m 0755 "$binary" "$dest/usr/local/bin/syncctl"
mkdir -p "$share/bash-completion/completions" "$share/zsh/site-functions" "$share/fish/vendor_completions.d" "$share/man/man1"
"$binary" --generate-completion-script bash > "$share/bash-completion/completions/syncctl"
"$binary" --generate-completion-script zsh > "$share/zsh/site-functions/_syncctl"
"$binary" --generate-completion-script fish > "$share/fish/vendor_completions.d/syncctl.fish"
"$binary" manual > "$share/man/man1/syncctl.1"
echo "installed syncctl, its completions (bash, zsh, fish) and its manual page (man syncctl) under ${dest:-}/usr/local"
