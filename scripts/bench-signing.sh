#!/usr/bin/env bash
# Signing benchmark (issue 11, SPEC §9), release build. Prints:
#  1. what signing adds to a write: WRITES `folio invoice update` in an unsigned and in a signed
#     copy of the same repository, milliseconds per write;
#  2. the history checks over COMMITS signed commits on top of a generated repository of N
#     invoices: the pre-receive hook's check of that range (history only), `folio validate
#     --since` (state and history), and `git verify-commit` over the same commits;
#  3. a push of 10 signed commits into a bare repository with the hook, and without it.
# Usage: scripts/bench-signing.sh [N]   (default 100000); WRITES=200 COMMITS=1000
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.build/release/folio
[ -x "$BIN" ] || swift build -c release --product folio
N=${1:-100000}
WRITES=${WRITES:-200}
COMMITS=${COMMITS:-1000}
WORK=$(mktemp -d /tmp/folio-bench-signing-XXXX)
SELLER=ana@seller.example
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ana"
secs() { /usr/bin/time -f %e -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; cat "$WORK/t"; }

echo "generating $N invoices…" >&2
"$BIN" generate --invoices "$N" --seed 5 "$WORK/repo" >/dev/null
"$BIN" -C "$WORK/repo" --as $SELLER party key $SELLER --key "$WORK/ana.pub" >/dev/null
cp -a "$WORK/repo" "$WORK/unsigned"
FOLIO_SIGNING_KEY="$WORK/ana" "$BIN" -C "$WORK/repo" --as $SELLER config set requireSignatures true >/dev/null
draft=$("$BIN" -C "$WORK/repo" --as $SELLER list --status draft --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')

writes() { # repo, key (empty: none)
  local start end
  start=$(date +%s.%N)
  for i in $(seq "$WRITES"); do FOLIO_SIGNING_KEY="$2" "$BIN" -C "$1" --as $SELLER invoice update "$draft" --set "/note=w$i" >/dev/null 2>&1; done
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v n="$WRITES" 'BEGIN { printf "%.1f", (e - s) * 1000 / n }'
}
u=$(writes "$WORK/unsigned" "")
s=$(writes "$WORK/repo" "$WORK/ana")
printf '%-46s %10s\n' "write, unsigned (ms/write, $WRITES writes)" "$u"
printf '%-46s %10s\n' "write, signed (ms/write)" "$s"
printf '%-46s %10s\n' "signing adds (ms/write)" "$(awk -v a="$s" -v b="$u" 'BEGIN { printf "%.1f", a - b }')"

echo "making $COMMITS signed commits…" >&2
BASE=$(git -C "$WORK/repo" rev-parse HEAD)
for i in $(seq "$COMMITS"); do FOLIO_SIGNING_KEY="$WORK/ana" "$BIN" -C "$WORK/repo" --as $SELLER invoice update "$draft" --set "/note=c$i" >/dev/null 2>&1; done
HEAD=$(git -C "$WORK/repo" rev-parse HEAD)
hook=$(cd "$WORK/repo" && echo "$BASE $HEAD refs/heads/main" | GIT_DIR="$WORK/repo/.git" /usr/bin/time -f %e -o "$WORK/t" "$BIN" hook pre-receive >/dev/null && cat "$WORK/t")
val=$(secs "$BIN" -C "$WORK/repo" validate --since "$BASE")
ver=$(cd "$WORK/repo" && /usr/bin/time -f %e -o "$WORK/t" sh -c "git rev-list $BASE..$HEAD | xargs -n 50 git verify-commit 2>/dev/null" && cat "$WORK/t")
printf '%-46s %10s\n' "history check of $COMMITS commits, hook (s)" "$hook"
printf '%-46s %10s\n' "validate --since, state + $COMMITS commits (s)" "$val"
printf '%-46s %10s\n' "git verify-commit of the $COMMITS commits (s)" "$ver"

git clone -q --bare "$WORK/repo" "$WORK/plain.git"
git clone -q --bare "$WORK/repo" "$WORK/hooked.git"
"$BIN" hook install --server "$WORK/hooked.git" >/dev/null
for i in $(seq 10); do FOLIO_SIGNING_KEY="$WORK/ana" "$BIN" -C "$WORK/repo" --as $SELLER invoice update "$draft" --set "/note=p$i" >/dev/null 2>&1; done
plain=$(cd "$WORK/repo" && secs git push -q "$WORK/plain.git" HEAD:main)
hooked=$(cd "$WORK/repo" && secs git push -q "$WORK/hooked.git" HEAD:main)
printf '%-46s %10s\n' "push of 10 signed commits, no hook (s)" "$plain"
printf '%-46s %10s\n' "push of 10 signed commits, with the hook (s)" "$hooked"
rm -rf "$WORK"
