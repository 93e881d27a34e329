#!/usr/bin/env bash
# `make test`: the whole suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${REDIS_URL:-}" ] || echo "REDIS_URL is not set: tests that need Redis will be skipped."
exec bash scripts/with-db.sh .venv/bin/pytest "$@"
