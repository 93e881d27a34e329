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
  Notifications $( [ -n "${REDIS_URL:-}" ] && echo "arrive in real time (uvicorn, server-sent events)" || echo "are polled every 30 s (set REDIS_URL for real time)").

MSG
  if [ -n "${REDIS_URL:-}" ]; then
    # Real-time notifications stream over ASGI (runserver is WSGI only). --reload
    # restarts on code, template and catalogue changes, as runserver would.
    .venv/bin/python manage.py check
    local dirs=(copro templates locale)
    for app in */apps.py; do dirs+=("${app%/apps.py}"); done
    .venv/bin/uvicorn copro.asgi:application --host 127.0.0.1 --port 8000 \
      --lifespan off --reload --reload-include '*.html' --reload-include '*.txt' \
      --reload-include '*.mo' "${dirs[@]/#/--reload-dir=}"
    return
  fi
  .venv/bin/python manage.py runserver 127.0.0.1:8000
}
export -f serve
exec bash scripts/with-db.sh bash -c serve
