#!/usr/bin/env bash
# Merge benchmark (issue 3): two branches that each change 1,000 invoices of a generated
# repository (200 of them the same invoices: 100 in different fields, 100 in the same field),
# merged by `folio pull` (semantic merge) and by `git merge` (ort, text). Prints a table.
# Usage: scripts/bench-merge.sh [N invoices…]   (default: 10000 100000); RUNS=3: best of that many merges
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.build/release/folio}   # BIN=... compares another build
[ -x "$BIN" ] || swift build -c release --product folio
SIZES=${*:-10000 100000}
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/folio-bench-merge-XXXX)
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=ana@seller.example GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=ana@seller.example

edit() { # repo, first, last, field, value  — edits invoices with plain git, keeping canonical form
  python3 - "$@" <<'PY'
import json, subprocess, sys
repo, first, last, field, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
files = subprocess.run(["git", "-C", repo, "ls-files", "invoices"], capture_output=True, text=True, check=True).stdout.split()
byid = {f.rsplit("/", 1)[1][:-5]: f for f in files}
for i in range(first, last + 1):
    path = f"{repo}/{byid['inv-%07d' % i]}"
    doc = json.load(open(path))
    doc[field] = f"{value} {i}"
    doc["updatedAt"] = "2026-11-20T10:00:00Z" if value.startswith("A") else "2026-11-20T11:00:00Z"
    with open(path, "w") as out:
        out.write(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
subprocess.run(["git", "-C", repo, "commit", "-qam", f"bench: {field} on invoices {first}-{last}"], check=True)
PY
}

secs() { /usr/bin/time -f %e -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; cat "$WORK/t"; }

printf '%-10s %-14s %10s %10s %12s %12s\n' invoices merger seconds documents conflicted "(folio/git)"
for N in $SIZES; do
  base="$WORK/base-$N"
  "$BIN" generate --invoices "$N" --seed 3 "$base" >/dev/null
  git clone -q "$base" "$WORK/a-$N"; git clone -q "$base" "$WORK/b-$N"
  edit "$WORK/a-$N" 0 999 note "A"
  edit "$WORK/b-$N" 800 899 terms "B"
  edit "$WORK/b-$N" 900 1799 note "B"
  for side in folio git; do cp -a "$WORK/a-$N" "$WORK/$side-$N"; git -C "$WORK/$side-$N" remote add b "$WORK/b-$N"; git -C "$WORK/$side-$N" fetch -q b; done
  git -C "$WORK/folio-$N" config merge.folio.driver "$BIN merge-driver %O %A %B %P"
  # Best of $RUNS: each run starts again from the same commit (reset --hard), caches warm.
  pre=$(git -C "$WORK/folio-$N" rev-parse HEAD)
  tf=; tg=
  for run in $(seq "$RUNS"); do
    git -C "$WORK/folio-$N" reset -q --hard "$pre"
    t=$(cd "$WORK/folio-$N" && secs "$BIN" --as ana@seller.example pull b)
    tf=$(awk -v a="$tf" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
  done
  cf=$(git -C "$WORK/folio-$N" grep -l '"conflicts"' HEAD -- invoices | wc -l)
  mf=$(git -C "$WORK/folio-$N" diff --name-only HEAD^1 HEAD -- invoices | wc -l)
  for run in $(seq "$RUNS"); do
    git -C "$WORK/git-$N" merge --abort 2>/dev/null || true
    git -C "$WORK/git-$N" reset -q --hard "$pre"
    t=$(cd "$WORK/git-$N" && { /usr/bin/time -f %e -o "$WORK/t" git merge -q --no-edit b/main >/dev/null 2>&1 || true; }; tail -1 "$WORK/t")
    tg=$(awk -v a="$tg" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
  done
  cg=$(git -C "$WORK/git-$N" diff --name-only --diff-filter=U | wc -l)
  printf '%-10s %-14s %10s %10s %12s\n' "$N" "folio pull" "$tf" "$mf" "$cf"
  printf '%-10s %-14s %10s %10s %12s %12s\n' "$N" "git merge ort" "$tg" "-" "$cg" "$(awk -v a="$tf" -v b="$tg" 'BEGIN{ if (b>0) printf "%.1fx", a/b; else print "-" }')"
done
echo "work folder: $WORK"
