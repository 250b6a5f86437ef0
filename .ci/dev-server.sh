# Sourced by .ci/contract.sh and .ci/browser.sh: a live development server on free ports over a
# fresh data directory ($work/data; the server creates its development PKI in $work/data/pki),
# seeded by `facepay simulate`. Sets server_pid, base_url and pki; dev_server_stop stops it.
# Needs $binary, $work and a seed (its first argument).

server_pid=
dev_server_stop() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}

dev_server_start() {
    local seed=$1 name=${2:-dev-server} port=
    "$binary" serve --data-dir "$work/data" --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
        >"$work/serve.out" 2>"$work/serve.log" &
    server_pid=$!
    for _ in $(seq 1 600); do
        port=$(sed -n 's|.*https://127\.0\.0\.1:\([0-9][0-9]*\)/v1/me.*|\1|p' "$work/serve.out" | head -n 1)
        [ -n "$port" ] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "$name: the server exited before it listened" >&2
            return 1
        fi
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "$name: the server printed no curl line within 60 s" >&2
        return 1
    fi
    base_url=https://127.0.0.1:$port
    pki=$work/data/pki
    # Real data first (the development kiosk and terminal): enrolled customers, approved and
    # declined payments, deposits, audit events, so the auditor's pages show something.
    "$binary" simulate --url "$base_url" --data-dir "$work/data" --customers 5 --payments 30 --seed "$seed" >"$work/simulate.out"
}
