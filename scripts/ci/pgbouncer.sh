#!/usr/bin/env bash
# A PgBouncer in transaction pooling mode in front of the local PostgreSQL, for the test suite and
# benchmarks: `scripts/ci/pgbouncer.sh start|stop [port]`. Every database of the server is reachable
# under its own name; users are looked up in PostgreSQL (auth_query), so the app roles the tests
# create work without a user list. Needs Debian's `pgbouncer` package.
#
# Tenant work logs in as each tenant's own role, so PgBouncer keeps one pool per tenant role:
# `max_db_connections` bounds the server backends of all of them together (PgBouncer closes an idle
# backend of another pool when a pool needs one and the bound is reached), and it must leave room
# under PostgreSQL's `max_connections` for everything that connects directly (migrations,
# provisioning, LISTEN, other test files). `server_idle_timeout` hands a quiet tenant's backends back.
set -euo pipefail
PORT="${2:-6432}"
PG_HOST="${PGBOUNCER_PG_HOST:-127.0.0.1}"
PG_PORT="${PGBOUNCER_PG_PORT:-5432}"
DIR="${TMPDIR:-/tmp}/nchat-pgbouncer-$PORT"

case "${1:-}" in
start)
  command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
  mkdir -p "$DIR"
  echo '"postgres" ""' >"$DIR/users.txt"
  cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/users.txt
auth_user = postgres
auth_query = select usename, passwd from pg_shadow where usename = \$1
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
max_db_connections = 40
server_idle_timeout = 30
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
admin_users = postgres
INI
  # pgbouncer refuses to run as root; run it as the owner of the config directory.
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$DIR"
    runuser -u postgres -- pgbouncer -d "$DIR/pgbouncer.ini"
  else
    pgbouncer -d "$DIR/pgbouncer.ini"
  fi
  for _ in $(seq 50); do
    (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && { echo "pgbouncer (transaction pooling) on 127.0.0.1:$PORT"; exit 0; }
    sleep 0.1
  done
  echo "pgbouncer did not start; log:" >&2
  cat "$DIR/pgbouncer.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$DIR/pgbouncer.pid" ]; then kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true; fi
  rm -rf "$DIR"
  ;;
*)
  echo "usage: $0 start|stop [port]" >&2
  exit 2
  ;;
esac
