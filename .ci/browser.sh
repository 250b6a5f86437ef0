#!/usr/bin/env bash
# The console in a real browser (.ci/browser_test.py): Debian's Chromium (`apt-get install
# chromium`, done by .ci/run) driven by Playwright from PyPI in a virtual environment, against a
# live development server seeded by `facepay simulate`, with an auditor's, a terminal's and a
# kiosk's client certificate. Screenshots of each page go to BROWSER_SCREENSHOTS (default
# /tmp/facepay-console-screenshots); their paths are printed.
#
# Needs the debug binary (`swift build` first). Knobs: BROWSER_BINARY (default
# .build/debug/facepay), BROWSER_VENV (default .build-browser/venv), BROWSER_CHROMIUM (default
# /usr/bin/chromium), BROWSER_SEED (default 20261201).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: client_certificates needs Playwright 1.46 or later; 1.65.3 is the version this was written against.
playwright_version=1.65.3
binary=${BROWSER_BINARY:-.build/debug/facepay}
venv=${BROWSER_VENV:-.build-browser/venv}
export BROWSER_CHROMIUM=${BROWSER_CHROMIUM:-/usr/bin/chromium}
export BROWSER_SCREENSHOTS=${BROWSER_SCREENSHOTS:-/tmp/facepay-console-screenshots}
seed=${BROWSER_SEED:-20261201}

if [ ! -x "$binary" ]; then
    echo "browser: $binary not found; build it first (swift build --product facepay)" >&2
    exit 2
fi
if [ ! -x "$BROWSER_CHROMIUM" ]; then
    echo "browser: no Chromium at $BROWSER_CHROMIUM (apt-get install chromium)" >&2
    exit 2
fi
if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("playwright"))' 2>/dev/null)" != "$playwright_version" ]; then
    rm -rf "$venv"
    python=$(command -v /usr/bin/python3 || command -v python3)
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "playwright==$playwright_version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/facepay-browser.XXXXXX")
. .ci/dev-server.sh
finish() {
    status=$?
    dev_server_stop
    if [ "$status" -ne 0 ] && [ -f "$work/serve.log" ]; then
        echo "browser: last lines of the server log:" >&2
        tail -n 40 "$work/serve.log" >&2 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

dev_server_start "$seed" browser
echo "browser: server on $base_url, Chromium $("$BROWSER_CHROMIUM" --version 2>/dev/null | awk '{print $2}'), Playwright $playwright_version"
"$binary" pki issue --role auditor --id A-BROWSER --out "$work/devices" --data-dir "$work/data" >/dev/null
"$binary" pki issue --role terminal --id T-BROWSER --merchant M-DEV --out "$work/devices" --data-dir "$work/data" >/dev/null
"$binary" pki issue --role kiosk --id K-BROWSER --out "$work/devices" --data-dir "$work/data" >/dev/null
BROWSER_BASE_URL=$base_url BROWSER_DEVICES=$work/devices "$venv/bin/python" .ci/browser_test.py
