#!/usr/bin/env bash
# `make run`: database, migrations, demo data, development server. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
export STAFF_MFA_REQUIRED="${STAFF_MFA_REQUIRED:-0}"

serve() {
  .venv/bin/python manage.py migrate --no-input -v 0
  .venv/bin/python manage.py seed_demo
  cat <<MSG

  Copro is running on http://127.0.0.1:8000  (Ctrl-C to stop)
  Demo accounts: see the table above (also in README.md); back office: /backoffice/
  Tasks run in-process$( [ -n "${REDIS_URL:-}" ] && echo " unless a worker runs (make worker)").

MSG
  .venv/bin/python manage.py runserver 127.0.0.1:8000
}
export -f serve
exec bash scripts/with-db.sh bash -c serve
