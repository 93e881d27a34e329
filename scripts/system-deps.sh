#!/usr/bin/env bash
# Installs the Debian packages Copro needs, when they are missing.
# As root: apt-get installs them. Otherwise: prints the exact command and fails.
set -euo pipefail

need=()

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# The venv module (Debian splits it out of the interpreter).
if ! "${PYTHON:-python3.11}" -c "import venv, ensurepip" >/dev/null 2>&1; then
  need+=(python3-venv)
fi

# WeasyPrint renders PDFs with Pango.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  have_pkg "$pkg" || need+=("$pkg")
done

# PostgreSQL's server and contrib, only for the project-local cluster.
if [ -z "${DATABASE_URL:-}" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    need+=(postgresql postgresql-contrib)
  elif ! ls /usr/share/postgresql/*/extension/btree_gist.control >/dev/null 2>&1; then
    need+=(postgresql-contrib)
  fi
fi

[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "This is not a Debian system: install the equivalents of: ${need[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
