#!/usr/bin/env bash
# The scale-out tests' servers (tests/test_scale_*.py): PostgreSQL and Redis on loopback only,
# in throwaway data directories, on ports that clash with no system service. Sourced by
# .ci/run: `scale_servers_start` installs the Debian packages when missing and starts both;
# `scale_servers_stop` (run from a trap) stops them and removes their data.
SCALE_DIR="${SCALE_DIR:-/tmp/suar-ci-scale}"
SCALE_PG_PORT="${SCALE_PG_PORT:-55432}"
SCALE_REDIS_PORT="${SCALE_REDIS_PORT:-56379}"

scale_servers_start() {
    if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        (apt-get update -q && apt-get install -y -q postgresql redis-server) >/tmp/suar-ci-apt-scale.log 2>&1 \
            || { echo "could not install postgresql/redis-server (see /tmp/suar-ci-apt-scale.log)"; return 1; }
    fi
    local pgbin
    pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    rm -rf "$SCALE_DIR" && mkdir -p "$SCALE_DIR" && chown postgres "$SCALE_DIR"
    su postgres -c "$pgbin/initdb -D $SCALE_DIR/pg -A trust -U postgres" >"$SCALE_DIR/initdb.log" 2>&1 \
        || { echo "initdb failed (see $SCALE_DIR/initdb.log)"; return 1; }
    su postgres -c "$pgbin/pg_ctl -D $SCALE_DIR/pg -w -l $SCALE_DIR/pg.log -o '-p $SCALE_PG_PORT -k $SCALE_DIR -c listen_addresses=127.0.0.1' start" >/dev/null \
        || { echo "postgres did not start (see $SCALE_DIR/pg.log)"; return 1; }
    redis-server --bind 127.0.0.1 --port "$SCALE_REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --pidfile "$SCALE_DIR/redis.pid" --logfile "$SCALE_DIR/redis.log" \
        || { echo "redis did not start"; return 1; }
    export SUAR_TEST_POSTGRES="host=127.0.0.1 port=$SCALE_PG_PORT user=postgres dbname=postgres"
    export SUAR_TEST_REDIS="redis://127.0.0.1:$SCALE_REDIS_PORT/0"
}

scale_servers_stop() {
    # Never fails: it runs from the EXIT trap, where a failure would replace the tests' status.
    local pgbin
    pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)" || true
    if [ -f "$SCALE_DIR/redis.pid" ]; then kill "$(cat "$SCALE_DIR/redis.pid")" 2>/dev/null || true; fi
    if [ -n "$pgbin" ] && [ -d "$SCALE_DIR/pg" ]; then
        su postgres -c "$pgbin/pg_ctl -D $SCALE_DIR/pg -m fast stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$SCALE_DIR" || true
}
