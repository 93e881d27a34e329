#!/usr/bin/env bash
# Runs a command with a database: DATABASE_URL when set, else the project-local cluster,
# which it stops afterwards if it started it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

started=0
if [ -z "${DATABASE_URL:-}" ]; then
  if ! bash scripts/localpg.sh status >/dev/null 2>&1; then
    started=1
  fi
  bash scripts/localpg.sh start
fi
cleanup() { [ "$started" -eq 1 ] && bash scripts/localpg.sh stop || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$@"
