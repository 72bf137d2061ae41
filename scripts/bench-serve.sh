#!/usr/bin/env bash
# HTTP API benchmark (issue 13, SPEC §11), release build: a generated repository of N invoices,
# `folio serve` on 127.0.0.1, and wrk at 50 connections on a filtered, sorted page of
# GET /invoices and on GET /invoices/{id}; then the same page asked of `folio list` as a process;
# then accepts by buyers (each a commit signed by the server party's key) at 1 and 4 clients.
# Usage: scripts/bench-serve.sh [N] [REPO]   (default 100000; REPO: an existing repository to use)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.build/release/folio
[ -x "$BIN" ] || swift build -c release --product folio
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
N=${1:-100000}
SELLER=ana@seller.example
if [ -n "${2:-}" ]; then REPO=$2; else
  WORK=$(mktemp -d /tmp/folio-bench-serve-XXXX); REPO=$WORK/repo
  echo "generating $N invoices…" >&2
  "$BIN" generate --invoices "$N" --seed 7 "$REPO" >/dev/null
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$(cd "$REPO" && "$BIN" --as $SELLER serve token $SELLER)
# The server signs what it writes with a key listed as a server party (SPEC §11).
KEYS=$(mktemp -d /tmp/folio-bench-keys-XXXX)
ssh-keygen -q -t ed25519 -N '' -f "$KEYS/server"
(cd "$REPO" && "$BIN" --as $SELLER party list | grep -q '^server@bench.example' || "$BIN" --as $SELLER party add server@bench.example --role server --key "$KEYS/server.pub" >/dev/null)
(cd "$REPO" && exec env FOLIO_SIGNING_KEY="$KEYS/server" "$BIN" --as $SELLER serve --listen 127.0.0.1:$PORT 2>/dev/null) & PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$KEYS"; [ -n "${WORK:-}" ] && rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/invoices" && break; sleep 0.1; done
PAGE="/invoices?sortBy=dueDate&orderBy=DESC&status=0&limit=50"
ID=$(git -C "$REPO" ls-files invoices | awk 'NR == 1' | xargs basename | sed 's/\.json$//')
one=$(curl -s -o /dev/null -w "%{time_total}" -H "authToken: $TOKEN" "http://127.0.0.1:$PORT$PAGE")
one=$(curl -s -o /dev/null -w "%{time_total}" -H "authToken: $TOKEN" "http://127.0.0.1:$PORT$PAGE")
printf '%-52s %10.1f\n' "one GET $PAGE (ms)" "$(echo "$one * 1000" | bc -l)"
for path in "$PAGE" "/invoices/$ID"; do
  out=$(wrk -t2 -c50 -d15s --latency -H "authToken: $TOKEN" "http://127.0.0.1:$PORT$path")
  printf '%-52s %10s\n' "GET ${path%%\?*} at 50 connections (requests/s)" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  printf '%-52s %10s\n' "  p50 / p99" "$(echo "$out" | awk '$1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print p50 " / " p99}')"
  printf '%-52s %10s\n' "  errors (non-2xx, socket)" "$(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",","" ); n+=$4+$6+$8+$10} END {print n+0}')"
done
start=$(date +%s%N)
for _ in $(seq 20); do (cd "$REPO" && "$BIN" --as $SELLER list --sort-by dueDate --order-by DESC --payment-status 0 --limit 50 --json >/dev/null); done
printf '%-52s %10.1f\n' "the same page from \`folio list\` as a process (ms)" "$(echo "($(date +%s%N) - $start) / 20000000" | bc -l)"
python3 scripts/bench-accept.py "http://127.0.0.1:$PORT" "$REPO" "$BIN" $SELLER 100 1
python3 scripts/bench-accept.py "http://127.0.0.1:$PORT" "$REPO" "$BIN" $SELLER 200 4
echo "signed by the server party: $(git -C "$REPO" log -1 --format='%G? %GS' 2>/dev/null || true)"
