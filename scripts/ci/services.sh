#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL and Redis on loopback ports, without systemd.
#   scripts/ci/services.sh start   # installs them from Debian's packages if missing
#   scripts/ci/services.sh stop
#   scripts/ci/services.sh env     # prints the exports that point the app at them
set -euo pipefail

STATE=${CI_SERVICES_DIR:-/tmp/lead-routing-ci-services}
PG_PORT=${CI_PG_PORT:-5440}
REDIS_PORT=${CI_REDIS_PORT:-6390}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

install_missing() {
  local need=()
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  if [ ${#need[@]} -gt 0 ]; then
    echo "Installing ${need[*]} from Debian's packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

start() {
  install_missing
  mkdir -p "$STATE"
  local bin
  bin=$(pg_bin)
  if [ ! -d "$STATE/pg/data" ]; then
    mkdir -p "$STATE/pg"
    [ "$(id -u)" = 0 ] && chown -R postgres "$STATE/pg"
    as_postgres "$bin/initdb -D $STATE/pg/data -A trust -U postgres >/dev/null"
  fi
  as_postgres "$bin/pg_ctl -D $STATE/pg/data -o '-p $PG_PORT -k $STATE/pg -c listen_addresses=127.0.0.1 -c fsync=off' -l $STATE/pg/pg.log -w start >/dev/null"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$STATE" \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --save '' --appendonly no
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "PostgreSQL on 127.0.0.1:$PG_PORT and Redis on 127.0.0.1:$REDIS_PORT are up."
}

stop() {
  local bin
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -f "$STATE/pg/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl -D $STATE/pg/data -m fast -w stop >/dev/null" || true
  fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$STATE"
  echo "PostgreSQL and Redis stopped."
}

print_env() {
  cat <<ENV
export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/lead_routing
export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export CACHE_URL=redis://127.0.0.1:$REDIS_PORT/1
export RATE_LIMIT_STORAGE_URL=redis://127.0.0.1:$REDIS_PORT/2
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/3
ENV
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
