#!/usr/bin/env bash
# `folio validate --since` benchmark (issue 9), release build: what CI pays for a range that
# touches TOUCH invoices (default 10: TOUCH-1 edits and one send, which also moves the
# series) of a repository of N invoices. Prints, each with peak memory:
#  - `folio index rebuild` (the reference; the range's check asks the index);
#  - `folio validate --since BASE`, three runs (HEAD's state where the range changed it, and
#    the history of the range);
#  - `folio validate --since BASE --full` (the whole state, and the history).
# Usage: scripts/bench-since.sh [N] [REPO]   (default 100000; REPO: a generated repository to
# copy instead of generating one); TOUCH=10
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.build/release/folio
[ -x "$BIN" ] || swift build -c release --product folio
N=${1:-100000}
TOUCH=${TOUCH:-10}
WORK=$(mktemp -d /tmp/folio-bench-since-XXXX)
SELLER=ana@seller.example
run() { # label, command…: wall seconds and peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>"$WORK/err" || [ $? -eq 1 ] || { cat "$WORK/err" >&2; exit 1; }
  read -r secs kb <"$WORK/t"
  printf '%-44s %8s s %8s MB\n' "$label" "$secs" "$((kb / 1024))"
}

if [ -n "${2:-}" ]; then
  echo "copying $2…" >&2
  cp -a "$2" "$WORK/repo"
else
  echo "generating $N invoices…" >&2
  "$BIN" generate --invoices "$N" --seed 5 "$WORK/repo" >/dev/null
fi
cd "$WORK/repo"
run "folio index rebuild" "$BIN" index rebuild
BASE=$(git rev-parse HEAD)
ids=$("$BIN" --as $SELLER list --status draft --limit "$TOUCH" --json | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)["data"]))')
first=${ids%% *}
for id in ${ids#* }; do "$BIN" --as $SELLER invoice update "$id" --set "/note=bench $id" >/dev/null 2>&1; done
"$BIN" --as $SELLER invoice send "$first" >/dev/null 2>&1
echo "range: $(git rev-list --count "$BASE"..HEAD) commits, $(git diff --name-only "$BASE" HEAD | wc -l) files" >&2
for i in 1 2 3; do run "folio validate --since BASE (run $i)" "$BIN" validate --since "$BASE"; done
grep -h "checked" "$WORK/err" >&2 || true
run "folio validate --since BASE --full" "$BIN" validate --since "$BASE" --full
rm -rf "$WORK"
