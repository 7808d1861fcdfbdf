#!/usr/bin/env bash
# Start a private PostgreSQL server for the hub's PostgreSQL tests and print its URL (the only line on
# stdout) for KSK_TEST_PG_URL:
#   KSK_TEST_PG_URL="$(bash installer/start-test-postgres.sh)"; export KSK_TEST_PG_URL
# Installs Debian's `postgresql` when it is missing. The server is its own cluster (initdb in
# KSK_TEST_PG_DIR, default /tmp/ksk-test-pg) listening on 127.0.0.1:KSK_TEST_PG_PORT (default 55432), run
# by the `postgres` user when this script runs as root; the machine's own clusters are left alone.
# Running it again reuses the server if it is up. Stop it with:
#   bash installer/start-test-postgres.sh --stop
set -euo pipefail

DIR="${KSK_TEST_PG_DIR:-/tmp/ksk-test-pg}"
PORT="${KSK_TEST_PG_PORT:-55432}"
DB=ksk_hub_test
ROLE=ksk_test
PASSWORD=ksk-test-only  # a throwaway server on loopback with nothing in it but test data

say() { echo ">> $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN="$(pg_bindir)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  say "apt-get install postgresql"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
  BIN="$(pg_bindir)"
fi

# initdb refuses to run as root: root hands the cluster to the `postgres` user the package created.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2
  fi
  exit 0
fi

mkdir -p "$DIR"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR"; fi

if [ ! -f "$DIR/data/PG_VERSION" ]; then
  say "initdb $DIR/data"
  # The superuser logs in over the cluster's own Unix socket only; the tests connect over TCP with a
  # password (SCRAM), as the hub does in a real deployment.
  as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >&2
fi

if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  say "start PostgreSQL on 127.0.0.1:$PORT"
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR" start >&2
fi

psql_su() {
  as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}
if [ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  psql_su -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  psql_su -c "CREATE DATABASE $DB OWNER $ROLE ENCODING 'UTF8'" >&2
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
