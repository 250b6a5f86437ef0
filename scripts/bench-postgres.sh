#!/usr/bin/env bash
# The PostgreSQL ledger measured beside its anchor, in one session on one server (docs/SCALING.md):
# pgbench's TPC-B-like transactions/s at 1, 16 and 256 clients, then `facepay bench ledger
# --database` payments/s at the same requester counts, each against its own scratch database.
#
#   scripts/bench-postgres.sh postgres://USER@HOST:PORT/DB [SECONDS] [FACEPAY_BINARY]
#
# Run it on a release build (swift build -c release). synchronous_commit stays as the server has it
# (on, for both): the anchor and FacePay pay the same WAL flush per commit.
set -euo pipefail
url=${1:?usage: $0 postgres://USER@HOST:PORT/DB [SECONDS] [FACEPAY_BINARY]}
seconds=${2:-10}
facepay=${3:-.build/release/facepay}
base=${url%%\?*}
server=${base%/*}
anchor="$server/facepay_pgbench_anchor"

psql -q "$base" -c "DROP DATABASE IF EXISTS facepay_pgbench_anchor" -c "CREATE DATABASE facepay_pgbench_anchor"
trap 'psql -q "$base" -c "DROP DATABASE IF EXISTS facepay_pgbench_anchor"' EXIT
echo "synchronous_commit: $(psql -Atq "$base" -c 'SHOW synchronous_commit')"
pgbench -i -s 16 -q "$anchor" >/dev/null 2>&1
for clients in 1 16 256; do
    tps=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -M prepared "$anchor" 2>/dev/null | awk '/^tps/ {print $3; exit}')
    echo "pgbench tpc-b  clients $clients  tps $tps"
done
"$facepay" bench ledger --database "$url" --requesters 1 16 256 --seconds "$seconds"
