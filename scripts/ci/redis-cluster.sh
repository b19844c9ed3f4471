#!/usr/bin/env bash
# A local Redis Cluster of three masters (no replicas) for the test suite and CI:
# `scripts/ci/redis-cluster.sh start|stop|status [first port]` (ports 7001-7003 by default; each node
# also listens on its port + 10000, the cluster bus: keep both below the ephemeral range, 32768).
# Data lives in a temporary directory that `stop` removes. Needs `redis-server` and `redis-cli` 7.
# Then: REDIS_CLUSTER_URL=redis://127.0.0.1:7001 (the cluster tests), or
# REDIS_URL=redis://127.0.0.1:7001 REDIS_CLUSTER=true (everything on the cluster).
set -euo pipefail
FIRST="${2:-7001}"
PORTS=("$FIRST" "$((FIRST + 1))" "$((FIRST + 2))")
DIR="${TMPDIR:-/tmp}/nchat-redis-cluster-$FIRST"

wait_for() { # wait_for <what> <command...>
  local what="$1"
  shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "redis cluster: $what timed out" >&2
  return 1
}

state_ok() {
  for port in "${PORTS[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

case "${1:-}" in
start)
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
  if state_ok; then
    echo "redis cluster already running on 127.0.0.1:${PORTS[0]}-${PORTS[2]}"
    exit 0
  fi
  mkdir -p "$DIR"
  for port in "${PORTS[@]}"; do
    mkdir -p "$DIR/$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
      --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log" \
      --cluster-enabled yes --cluster-config-file "$DIR/$port/nodes.conf" --cluster-node-timeout 5000 \
      --save "" --appendonly no
  done
  for port in "${PORTS[@]}"; do
    wait_for "node $port" redis-cli -p "$port" ping || { tail -5 "$DIR/$port/redis.log" >&2; exit 1; }
  done
  # Only a fresh set of nodes is joined (a restarted one keeps its nodes.conf).
  if ! redis-cli -p "${PORTS[0]}" cluster info | grep -q '^cluster_known_nodes:3'; then
    redis-cli --cluster create "${PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
  fi
  wait_for "cluster_state:ok" state_ok
  echo "redis cluster (3 masters) on 127.0.0.1:${PORTS[0]}-${PORTS[2]}"
  ;;
stop)
  for port in "${PORTS[@]}"; do
    if [ -f "$DIR/$port/redis.pid" ]; then kill "$(cat "$DIR/$port/redis.pid")" 2>/dev/null || true; fi
  done
  for port in "${PORTS[@]}"; do
    wait_for "node $port to stop" bash -c "! redis-cli -p $port ping" || true
  done
  rm -rf "$DIR"
  ;;
status)
  state_ok && echo "redis cluster ok on 127.0.0.1:${PORTS[0]}-${PORTS[2]}" || { echo "redis cluster not ok" >&2; exit 1; }
  ;;
*)
  echo "usage: $0 start|stop|status [first port]" >&2
  exit 2
  ;;
esac
