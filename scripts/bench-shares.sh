#!/usr/bin/env bash
# Shares benchmark (issue 12, SPEC §10), release build: a generated repository of N invoices
# and its customers (5,000 at 100,000 invoices), each with a share (a bare repository on disk).
# Prints the first publication to every share, then a change of 10 invoices of 10 customers
# and the publication after it: its time and how many shares it pushed to.
# Usage: scripts/bench-shares.sh [N]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.build/release/folio
[ -x "$BIN" ] || swift build -c release --product folio
N=${1:-100000}
WORK=$(mktemp -d /tmp/folio-bench-shares-XXXX)
SELLER=ana@seller.example
export GIT_AUTHOR_NAME=Ana GIT_AUTHOR_EMAIL=$SELLER GIT_COMMITTER_NAME=Ana GIT_COMMITTER_EMAIL=$SELLER
echo "generating $N invoices…" >&2
"$BIN" generate --invoices "$N" --seed 7 "$WORK/repo" >/dev/null
CUSTOMERS=$(python3 -c "print(max(1, min(5000, $N // 20 + 10)))")
mkdir -p "$WORK/shares"
python3 - "$WORK" "$CUSTOMERS" <<'PY'
import json, os, subprocess, sys
work, n = sys.argv[1], int(sys.argv[2])
shares = {f"C{c:05d}": {"url": f"{work}/shares/C{c:05d}.git", "addedBy": "ana@seller.example", "addedAt": "2026-12-01T00:00:00Z"} for c in range(n)}
with open(f"{work}/repo/.folio/shares.json", "w") as out:
    out.write(json.dumps({"shares": shares}, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
for c in shares:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", f"{work}/shares/{c}.git"], check=True)
PY
git -C "$WORK/repo" add .folio/shares.json && git -C "$WORK/repo" commit -qm "shares for $CUSTOMERS customers"
secs() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || { tail -3 "$WORK/err" >&2; return 1; }; cat "$WORK/t"; }
# The first publication, BATCH shares a process (default: all of them in one), so the peak
# memory of one process is measured against how many shares it pushed.
BATCH=${BATCH:-$CUSTOMERS}
start=$(date +%s.%N); peak=0
python3 -c "print('\n'.join(f'C{c:05d}' for c in range($CUSTOMERS)))" > "$WORK/customers"
while read -r -a batch; do
  read -r _ mem <<<"$(cd "$WORK/repo" && secs "$BIN" --as $SELLER share publish "${batch[@]}")"
  [ "$mem" -gt "$peak" ] && peak=$mem
done < <(xargs -n "$BATCH" < "$WORK/customers")
first=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
printf '%-58s %10s\n' "first publication to $CUSTOMERS shares, $BATCH a process (s)" "$first"
printf '%-58s %10s\n' "  peak memory of one process (MB)" "$((peak / 1024))"
# 10 invoices of 10 different customers change (one commit, as a seller's batch would).
python3 - "$WORK/repo" <<'PY'
import json, subprocess, sys
repo = sys.argv[1]
files = subprocess.run(["git", "-C", repo, "ls-files", "invoices"], capture_output=True, text=True, check=True).stdout.split()
seen, changed = set(), 0
for f in files:
    doc = json.load(open(f"{repo}/{f}"))
    if doc["customer"]["id"] in seen: continue
    seen.add(doc["customer"]["id"])
    doc["note"] = "changed for the benchmark"
    open(f"{repo}/{f}", "w").write(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    changed += 1
    if changed == 10: break
subprocess.run(["git", "-C", repo, "commit", "-qam", "10 invoices of 10 customers"], check=True)
PY
read -r again mem <<<"$(cd "$WORK/repo" && secs "$BIN" --as $SELLER share publish)" || true
pushed=$(grep -c "published [0-9a-f]" "$WORK/err" || true)
printf '%-58s %10s\n' "publication after 10 invoices of 10 customers changed (s)" "$again"
printf '%-58s %10s\n' "  shares pushed to" "$pushed"
printf '%-58s %10s\n' "  peak memory (MB)" "$((mem / 1024))"
[ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
