#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its URL on stdout (nothing else goes there).
#   scripts/start-test-postgres.sh [DATA_DIR] [PORT]    start (or reuse, if already running there) and print the URL
#   scripts/start-test-postgres.sh --stop DATA_DIR      stop it
# Uses the Debian PostgreSQL binaries (/usr/lib/postgresql/<version>/bin, newest version). Listens on 127.0.0.1
# only, trusts local connections (test data only). PostgreSQL refuses to run as root: as root, the cluster is
# owned and run by the `postgres` system user.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them: apt-get install -y postgresql" >&2
  exit 1
fi

# runuser lives in /usr/sbin, which a non-login PATH may lack.
runuser=$(command -v runuser || echo /usr/sbin/runuser)
as_owner() {
  if [ "$(id -u)" = 0 ]; then "$runuser" -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = "--stop" ]; then
  dir=${2:?usage: start-test-postgres.sh --stop DATA_DIR}
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
  exit 0
fi

dir=${1:-${HR_OKTA_SYNC_CACHE_DIR:-$HOME/.cache/hr-okta-sync}/test-postgres}
port=${2:-55432}
user=hr_okta_sync
database=hr_okta_sync_test
url="postgres://$user@127.0.0.1:$port/$database"

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  # The postgres user must be able to reach the directory.
  d=$dir
  while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
fi

if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
fi

if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/data -c fsync=off -c max_connections=200" start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
fi

if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$database"
fi
echo "$url"
