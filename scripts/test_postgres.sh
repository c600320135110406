#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server on 127.0.0.1 for the test suite.
# `start` prints the SQLAlchemy URL on stdout (nothing when PostgreSQL cannot be had here).
set -u
PGDIR=${BEACON_PG_DIR:-/tmp/beacon-test-pg}
PORT=${BEACON_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

case "${1:-}" in
  install)
    if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 \
        || echo "PostgreSQL could not be installed; PostgreSQL tests will be skipped" >&2
    fi ;;
  start)
    [ -n "$bin" ] || exit 0
    if ! [ -f "$PGDIR/PG_VERSION" ]; then
      rm -rf "$PGDIR"; mkdir -p "$PGDIR"; [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
      as_pg "$bin/initdb -D $PGDIR -A trust -U postgres" >/dev/null 2>&1 || { echo "initdb failed" >&2; exit 0; }
    fi
    if as_pg "$bin/pg_ctl -D $PGDIR status" >/dev/null 2>&1; then  # left running by an earlier run: reuse it
      echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"; exit 0
    fi
    as_pg "$bin/pg_ctl -D $PGDIR -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off' -l $PGDIR/log -w start" >/dev/null 2>&1 \
      || { echo "PostgreSQL did not start; see $PGDIR/log" >&2; exit 0; }
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres" ;;
  stop)
    [ -n "$bin" ] && [ -f "$PGDIR/postmaster.pid" ] && as_pg "$bin/pg_ctl -D $PGDIR -m fast stop" >/dev/null 2>&1
    exit 0 ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
