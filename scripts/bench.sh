#!/usr/bin/env bash
# Prints the figures of the foundation's benchmark: `folio generate` (time, peak memory) and
# `folio validate` on the result. Usage: scripts/bench.sh [N invoices] [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
WORK=${2:-$(mktemp -d /tmp/folio-bench-XXXX)}
BIN=.build/release/folio
[ -x "$BIN" ] || swift build -c release --product folio
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install -y time"; exit 2; }
repo="$WORK/repo-$N"
rm -rf "$repo"

measure() { # label, command…  → one row: wall seconds and peak resident memory
  local label=$1; shift
  local rc=0
  /usr/bin/time -f '%e %M' -o /tmp/folio-bench-time "$@" >/dev/null 2>/tmp/folio-bench-err || rc=$?
  read -r secs kb < /tmp/folio-bench-time
  awk -v l="$label" -v s="$secs" -v k="$kb" -v rc="$rc" 'BEGIN { printf "%-44s %8.2f s %9.1f MB%s\n", l, s, k/1024, (rc ? "  (exit " rc ")" : "") }'
}

printf '%-44s %10s %12s\n' "step (N=$N)" "wall" "peak RSS"
measure "folio generate --invoices $N" "$BIN" generate --invoices "$N" --seed 42 "$repo"
measure "folio validate" "$BIN" -C "$repo" validate --format json
measure "folio invoice show (one document)" "$BIN" -C "$repo" invoice show inv-0000007 --json
measure "folio list --status accepted --limit 20" "$BIN" -C "$repo" list --status accepted --sort-by due-date --limit 20 --json
measure "git fsck (witness)" git -C "$repo" fsck
du -sh "$repo/.git" | awk '{print "repository .git size: " $1}'
