#!/usr/bin/env bash
# A project-local PostgreSQL cluster: data in var/pgdata, socket in var/pg, no TCP.
# Usage: scripts/localpg.sh start|stop|status
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/var/pgdata"
sock="$root/var/pg"
log="$root/var/pg.log"
db="${PGDATABASE:-copro}"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] || pg_bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
if [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL's server is not installed (initdb not found): run scripts/system-deps.sh" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: run its programs as the 'postgres' system user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() { as_pg "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "${1:-}" in
  start)
    mkdir -p "$sock" "$data"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$sock" "$data"
      chmod 0700 "$data"
      if ! runuser -u postgres -- test -w "$sock"; then
        echo "The postgres user cannot reach $sock (a parent folder is private)." >&2
        echo "Set DATABASE_URL to a PostgreSQL server instead." >&2
        exit 1
      fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "Creating the local PostgreSQL cluster in var/pgdata"
      as_pg "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >/dev/null
    fi
    if ! running; then
      touch "$log"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$log"
      as_pg "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-k $sock -c listen_addresses='' -c synchronous_commit=off" start >/dev/null
      echo "Local PostgreSQL started (socket in var/pg)"
    fi
    if ! "$pg_bin/psql" -h "$sock" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      "$pg_bin/createdb" -h "$sock" -U postgres "$db"
    fi
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ] && running; then
      as_pg "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
      echo "Local PostgreSQL stopped"
    fi
    ;;
  status)
    if [ -f "$data/PG_VERSION" ] && running; then echo running; else echo stopped; exit 3; fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
