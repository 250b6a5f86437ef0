#!/usr/bin/env bash
# Contract fuzzing: schemathesis, a client FacePay did not write, against the OpenAPI document a
# live development server serves at /openapi.json, once per role (terminal, kiosk, auditor) with
# that role's client certificate, over the operations that role may call (the document tags each
# operation with its roles; `device` is every role): a wrong role only ever gets 403, which the
# Swift tests cover, and would spend the time budget on nothing. Checks: no 5xx, every status
# documented for its operation, every content type and every JSON body as documented, and no
# required header the server does without. Any failure exits non-zero.
#
# Needs the debug binary (`swift build` or `swift build --build-tests` first). Knobs, all
# optional: CONTRACT_BINARY (default .build/debug/facepay), CONTRACT_VENV (default
# .build-contract/venv), CONTRACT_MAX_EXAMPLES (test cases per operation and phase, default 40),
# CONTRACT_SECONDS_PER_ROLE (time budget of one role's run, default 90), CONTRACT_SEED (default:
# random; printed so a failure can be replayed), CONTRACT_SCHEMA (a local openapi.json to test
# instead of the served one, for editing the document without a rebuild), CONTRACT_ROLES
# (default "terminal kiosk auditor"), CONTRACT_REPORT_DIR (JUnit reports; default: temporary).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the options below (--request-cert, --request-cert-key, --tls-verify, check names,
# phases) are those of schemathesis 4.x; 4.32.5 is the version this script was written against.
schemathesis_version=4.32.5
binary=${CONTRACT_BINARY:-.build/debug/facepay}
venv=${CONTRACT_VENV:-.build-contract/venv}
max_examples=${CONTRACT_MAX_EXAMPLES:-40}
seconds_per_role=${CONTRACT_SECONDS_PER_ROLE:-90}
seed=${CONTRACT_SEED:-$((RANDOM * 32768 + RANDOM))}
roles=${CONTRACT_ROLES:-terminal kiosk auditor}
# missing_required_header (coverage phase): a request without a header the document requires must
# be refused (4xx other than 429), so the document cannot require what the server does not.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,missing_required_header

if [ ! -x "$binary" ]; then
    echo "contract: $binary not found; build it first (swift build --product facepay)" >&2
    exit 2
fi

# The virtual environment is kept between runs (it is under a .build-* folder, ignored by git),
# and so is schemathesis' example database beside it (inputs that failed are tried first next
# time); a different pinned version reinstalls.
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ]; then
    rm -rf "$venv"
    # Debian's own python3 when present: python3-venv is installed for it (.ci/run).
    python=$(command -v /usr/bin/python3 || command -v python3)
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
"$venv/bin/schemathesis" --version

work=$(mktemp -d "${TMPDIR:-/tmp}/facepay-contract.XXXXXX")
report_dir=${CONTRACT_REPORT_DIR:-$work/reports}
. .ci/dev-server.sh
finish() {
    status=$?
    dev_server_stop
    if [ "$status" -ne 0 ] && [ -f "$work/serve.log" ]; then
        echo "contract: last lines of the server log:" >&2
        tail -n 40 "$work/serve.log" >&2 || true
    fi
    [ -n "${CONTRACT_KEEP:-}" ] || rm -rf "$work"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

dev_server_start "$seed" contract
echo "contract: server on $base_url, seed $seed, at most $max_examples examples per operation, ${seconds_per_role}s per role"

failed=()
run_number=0
for role in $roles; do
    run_number=$((run_number + 1))
    # A device of its own for every run: a lockout earned by one run (5 liveness failures) must
    # not turn another run's biometric calls into 429s before their inputs are looked at.
    case "$role" in
        terminal) device=T-CONTRACT-$run_number; merchant=(--merchant M-DEV) ;;
        kiosk) device=K-CONTRACT-$run_number; merchant=() ;;
        auditor) device=A-CONTRACT-$run_number; merchant=() ;;
        *) echo "contract: unknown role $role" >&2; exit 2 ;;
    esac
    "$binary" pki issue --role "$role" --id "$device" "${merchant[@]}" --out "$work/devices" --data-dir "$work/data" >/dev/null
    # The document as this device fetches it (mutual TLS), unless a local copy was given.
    schema=${CONTRACT_SCHEMA:-$work/openapi-$role.json}
    if [ -z "${CONTRACT_SCHEMA:-}" ]; then
        curl --silent --show-error --fail --cacert "$pki/ca.pem" --cert "$work/devices/$device.pem" \
            --key "$work/devices/$device.key" "$base_url/openapi.json" -o "$schema"
    fi
    echo "contract: $role as $device"
    if ! SCHEMATHESIS_HOOKS=.ci/contract_hooks.py "$venv/bin/schemathesis" --no-color run "$schema" \
        --url "$base_url" \
        --request-cert "$work/devices/$device.pem" --request-cert-key "$work/devices/$device.key" \
        --tls-verify "$pki/ca.pem" \
        --checks "$checks" \
        --include-tag-regex "^($role|device)\$" \
        --phases examples,coverage,fuzzing \
        --max-examples "$max_examples" --max-time "$seconds_per_role" --seed "$seed" \
        --workers 1 --request-timeout 20 \
        --generation-database "$(dirname "$venv")/examples" \
        --report junit --report-junit-path "$report_dir/$role.xml"; then
        failed+=("$role")
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "contract: the server is gone after the $role run" >&2
        exit 1
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "contract: FAILED for ${failed[*]} (seed $seed; replay with CONTRACT_SEED=$seed)" >&2
    exit 1
fi
echo "contract: no failures for $roles"
