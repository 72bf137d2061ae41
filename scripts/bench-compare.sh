#!/usr/bin/env bash
# Two builds of folio on one repository, in turns: index rebuild (twice each), --version and two
# list queries (medians of 15), validate. For before/after figures of a change.
#   scripts/bench-compare.sh OLD_FOLIO NEW_FOLIO [REPO]   (REPO: a `folio generate` repository)
set -euo pipefail
OLD=$1 NEW=$2
R=${3:-/tmp/folio-bench-compare}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install -y time"; exit 2; }
[ -d "$R/.git" ] || "$NEW" generate --invoices 100000 --seed 42 "$R" >/dev/null
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; local e=$EPOCHREALTIME; awk -v s="$s" -v e="$e" 'BEGIN{printf "%.1f\n",(e-s)*1000}'; }
for b in "$OLD" "$NEW"; do "$b" -C "$R" index rebuild >/dev/null 2>&1; done   # warm caches
for b in "$OLD" "$NEW" "$OLD" "$NEW"; do
  /usr/bin/time -f "$b: index rebuild %e s, %M KB" "$b" -C "$R" index rebuild 2>&1 >/dev/null | tail -1
done
for b in "$OLD" "$NEW"; do
  echo "$b: --version $(for i in $(seq 15); do ms "$b" --version; done | med) ms"
  echo "$b: list --status accepted --sort-by due-date --limit 20 --json $(for i in $(seq 15); do ms "$b" -C "$R" list --status accepted --sort-by due-date --limit 20 --json; done | med) ms"
  echo "$b: list --customer-id C00042 --json $(for i in $(seq 15); do ms "$b" -C "$R" list --customer-id C00042 --json; done | med) ms"
done
for b in "$OLD" "$NEW"; do
  /usr/bin/time -f "$b: validate %e s, %M KB" "$b" -C "$R" validate 2>&1 >/dev/null | tail -1
done
