#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a new temporary directory, owned by an
# unprivileged user (PostgreSQL refuses to run as root), listening on 127.0.0.1 only, on a free
# port, with fsync and synchronous_commit on (the durability the ledger relies on).
#
#   scripts/postgres-test-cluster.sh start   prints `export FACEPAY_TEST_DATABASE_URL=...` and
#                                            `export FACEPAY_TEST_PGDATA=...` lines for eval
#   scripts/postgres-test-cluster.sh stop    stops the cluster named by FACEPAY_TEST_PGDATA and
#                                            removes its directory
#   scripts/postgres-test-cluster.sh restart restarts that cluster (a test of nodes that outlive
#                                            their database's restart)
#
# Locally: `eval "$(scripts/postgres-test-cluster.sh start)" && swift test; scripts/postgres-test-cluster.sh stop`
# (README "Tests on PostgreSQL"). Needs Debian's postgresql-15 (`.ci/run` installs it).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres-test-cluster: no /usr/lib/postgresql/*/bin (apt-get install postgresql-15)" >&2; exit 1; }

# As root, the cluster runs as the postgres system user the Debian package creates.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start | restart)
    # Close every inherited descriptor above stderr before a database server starts: it would keep
    # them open, and a caller that watches its child's exit through one (Foundation's Process
    # does) would wait for the server too.
    for fd in $(ls /proc/$$/fd); do
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    ;;
esac

case "${1:-}" in
start)
    data=$(mktemp -d /tmp/facepay-pg-XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
    chmod 0700 "$data"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$data/cluster" -U facepay --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
        || { cat "$data/initdb.log" >&2; exit 1; }
    # Several test processes each open pools, and the multi-node tests run several servers.
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c max_connections=300 -c fsync=on -c synchronous_commit=on" \
        >/dev/null || { cat "$data/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U facepay facepay
    echo "export FACEPAY_TEST_PGDATA=$data"
    echo "export FACEPAY_TEST_DATABASE_URL=postgres://facepay@127.0.0.1:$port/facepay?sslmode=disable"
    ;;
restart)
    data=${FACEPAY_TEST_PGDATA:?FACEPAY_TEST_PGDATA names the cluster to restart}
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
stop)
    data=${FACEPAY_TEST_PGDATA:?FACEPAY_TEST_PGDATA names the cluster to stop}
    as_owner "$bin/pg_ctl" -D "$data/cluster" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$data"
    ;;
*)
    echo "usage: $0 start|restart|stop" >&2
    exit 2
    ;;
esac
