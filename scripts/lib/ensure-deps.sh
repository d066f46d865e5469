#!/usr/bin/env bash
# Installs Bun (pinned) and the locked npm dependencies when they are missing or older than the lockfile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/scripts/lib/ensure-bun.sh"
marker="$root/node_modules/.pug-installed"
if [ ! -f "$marker" ] || [ "$root/bun.lock" -nt "$marker" ] || [ "$root/package.json" -nt "$marker" ]; then
  echo "ensure-deps: installing npm dependencies (bun install --frozen-lockfile)" >&2
  (cd "$root" && bun install --frozen-lockfile >&2)
  touch "$marker"
fi
