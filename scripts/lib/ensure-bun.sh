#!/usr/bin/env bash
# Installs the Bun version pinned in package.json (through npm, Node's package manager) when it is missing or
# different. Prints nothing when Bun is already right.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want="$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' "$root/package.json")"
have="$(command -v bun >/dev/null 2>&1 && bun --version 2>/dev/null || true)"
[ "$have" = "$want" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-bun: installing Node.js and npm from Debian packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
echo "ensure-bun: installing bun@$want (found: ${have:-none})" >&2
npm install --global --no-fund --no-audit "bun@$want" >/dev/null 2>&1 || npm install --global "bun@$want"
hash -r
bun --version >/dev/null
