#!/usr/bin/env bash
# The index benchmark of issue 4, printed as a table (release build).
#
#   scripts/bench-index.sh [N invoices, default 100000] [workdir]
#   SCRATCH=.build-index scripts/bench-index.sh 100000     # build into another scratch path
#   LARGE=1000000 scripts/bench-index.sh                   # also rebuild + queries at 1,000,000
#
# Generated repositories are kept in the workdir (default /tmp/folio-bench-index) and reused.
# Whole-process times are medians of RUNS runs (default 21); rebuilds are the best of 3.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
WORK=${2:-/tmp/folio-bench-index}
RUNS=${RUNS:-21}
SCRATCH=${SCRATCH:-.build}
SMALL=$((N / 10))
mkdir -p "$WORK"
command -v jq >/dev/null || { echo "needs jq (apt-get install -y jq)"; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install -y time)"; exit 2; }
swift build -c release --product folio --scratch-path "$SCRATCH" >&2
BIN=$(swift build -c release --product folio --scratch-path "$SCRATCH" --show-bin-path)/folio
unset FOLIO_USER FOLIO_NOW FOLIO_INDEX_TIMING

repo() { # N → path of a generated repository (made once)
  local r="$WORK/repo-$1"
  if [ ! -f "$r/.git/folio-bench-ready" ]; then
    rm -rf "$r"
    echo "generating $1 invoices in $r …" >&2
    "$BIN" generate --invoices "$1" --seed 42 --no-checkout "$r" >&2
    touch "$r/.git/folio-bench-ready"
  fi
  echo "$r"
}

row() { printf '%-58s %12s %12s\n' "$1" "$2" "$3"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }

timed() { # command… → "seconds peak-KB" of one run
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  cat "$WORK/time"
}

best_of_3() { # command… → best "seconds peak-KB" of three runs
  local best="" t
  for _ in 1 2 3; do
    t=$(timed "$@")
    if [ -z "$best" ] || awk -v a="${t% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  echo "$best"
}

commit_ten() { # repo, invoices, tag → a commit (plumbing only, no working tree) that changes 10 invoices
  local r=$1 count=$2 tag=$3 idx="$WORK/git-index"
  rm -f "$idx"
  GIT_INDEX_FILE=$idx git -C "$r" read-tree HEAD
  for k in $(seq 0 9); do
    local id path blob
    id=$(printf 'inv-%07d' $((k * (count / 10) + 13)))
    path=$(git -C "$r" ls-tree -r --name-only HEAD invoices | grep "/$id.json$")
    blob=$(git -C "$r" cat-file -p "HEAD:$path" | jq -S --indent 2 --arg n "bench $tag" '.note = $n' | git -C "$r" hash-object -w --stdin)
    GIT_INDEX_FILE=$idx git -C "$r" update-index --cacheinfo "100644,$blob,$path"
  done
  local tree commit
  tree=$(GIT_INDEX_FILE=$idx git -C "$r" write-tree)
  commit=$(git -C "$r" -c user.name=Bench -c user.email=bench@example.org commit-tree "$tree" -p HEAD -m "bench: 10 invoices ($tag)")
  git -C "$r" update-ref refs/heads/main "$commit"
}

incremental() { # repo, invoices → median internal update time (ms) and median whole `folio list` (ms) over 5 commits
  local r=$1 count=$2 internal=() whole=() s e
  "$BIN" -C "$r" list --limit 1 >/dev/null 2>&1
  for i in 1 2 3 4 5; do
    commit_ten "$r" "$count" "$i-$RANDOM"
    s=$EPOCHREALTIME
    FOLIO_INDEX_TIMING=1 "$BIN" -C "$r" list --limit 1 >/dev/null 2>"$WORK/stderr"
    e=$EPOCHREALTIME
    internal+=("$(sed -n 's/^index: updated [0-9]* document(s) in \([0-9.]*\) ms$/\1/p' "$WORK/stderr")")
    whole+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", (e - s) * 1000 }')")
  done
  printf '%s %s\n' "$(printf '%s\n' "${internal[@]}" | sort -n | sed -n 3p)" "$(printf '%s\n' "${whole[@]}" | sort -n | sed -n 3p)"
}

BIG=$(repo "$N")
SMALLREPO=$(repo "$SMALL")
git -C "$BIG" ls-tree -r HEAD invoices orders .folio/parties.json | awk '{ print $3 }' > "$WORK/blobs"
BLOBS=$(wc -l < "$WORK/blobs")

echo
echo "folio index benchmark: $N invoices ($BLOBS documents), $(nproc) cores, $(uname -sr), libgit2/sqlite from the system"
echo
row "measurement" "wall" "peak RSS"
row "-----------" "----" "--------"
read -r s kb <<< "$(best_of_3 sh -c "git -C '$BIG' ls-tree -r HEAD invoices orders .folio/parties.json | awk '{ print \$3 }' | git -C '$BIG' cat-file --batch")"
row "git ls-tree | git cat-file --batch (the same $BLOBS blobs)" "$s s" "$((kb / 1024)) MB"
FLOOR=$s
read -r s kb <<< "$(best_of_3 "$BIN" -C "$BIG" index rebuild)"
row "folio index rebuild ($N invoices)" "$s s" "$((kb / 1024)) MB"
row "  rebuild / cat-file" "$(awk -v a="$s" -v b="$FLOOR" 'BEGIN { printf "%.1fx", a / b }')" ""
read -r s kb <<< "$(best_of_3 "$BIN" -C "$SMALLREPO" index rebuild)"
row "folio index rebuild ($SMALL invoices)" "$s s" "$((kb / 1024)) MB"
du -h "$BIG/.git/folio/index.sqlite" | awk '{ printf "%-58s %12s\n", "index file size", $1 }'

read -r upd whole <<< "$(incremental "$SMALLREPO" "$SMALL")"
row "update after a commit of 10 invoices, $SMALL repo (internal)" "$upd ms" ""
row "  the whole folio list that did it" "$whole ms" ""
read -r upd whole <<< "$(incremental "$BIG" "$N")"
row "update after a commit of 10 invoices, $N repo (internal)" "$upd ms" ""
row "  the whole folio list that did it" "$whole ms" ""

QUERIES=(
  "--status accepted --sort-by due-date --limit 20"
  "--customer-id C00042"
  "--overdue --limit 20"
  "--q PO-12345"
  "--product-id P-104 --limit 20"
)

interleaved() { # repo → medians (seconds) of --version and each query, RUNS rounds that run each once
  local r=$1 times=() s e i round
  for round in $(seq "$RUNS"); do
    for i in $(seq 0 ${#QUERIES[@]}); do
      s=$EPOCHREALTIME
      if [ "$i" = 0 ]; then "$BIN" --version >/dev/null 2>&1
      # shellcheck disable=SC2086
      else "$BIN" -C "$r" list ${QUERIES[$((i - 1))]} --json >/dev/null 2>&1; fi
      e=$EPOCHREALTIME
      times[i]+="$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }') "
    done
  done
  for i in $(seq 0 ${#QUERIES[@]}); do
    # shellcheck disable=SC2086
    printf '%s\n' ${times[i]} | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
  done
}

echo
# The floor and the queries take turns, round after round, so that a burst of load on the
# machine falls on all of them alike; each figure is the median of its RUNS runs.
"$BIN" -C "$BIG" list --limit 1 >/dev/null 2>&1   # up to date before timing
mapfile -t MEDIANS < <(interleaved "$BIG")
VERSION=${MEDIANS[0]}
row "folio --version (the floor: starting the program)" "$(ms "$VERSION")" "median of $RUNS"
for k in "${!QUERIES[@]}"; do
  q=${QUERIES[k]}
  t=${MEDIANS[k + 1]}
  # shellcheck disable=SC2086
  scan=$(timed "$BIN" -C "$BIG" list --no-index $q --json)
  row "folio list $q --json" "$(ms "$t")" "$(awk -v t="$t" -v v="$VERSION" 'BEGIN { printf "%.2fx floor", t / v }')"
  row "  same query scanning the documents (list --no-index)" "${scan% *} s" "$(awk -v t="$t" -v s="${scan% *}" 'BEGIN { printf "%.0fx slower", s / t }')"
done

echo
read -r s kb <<< "$(timed "$BIN" -C "$BIG" validate --format json || true)"
row "folio validate ($N invoices)" "$s s" "$((kb / 1024)) MB"

if [ -n "${LARGE:-}" ]; then
  echo
  HUGE=$(repo "$LARGE")
  read -r s kb <<< "$(timed "$BIN" -C "$HUGE" index rebuild)"
  row "folio index rebuild ($LARGE invoices)" "$s s" "$((kb / 1024)) MB"
  read -r s kb <<< "$(timed sh -c "git -C '$HUGE' ls-tree -r HEAD invoices orders .folio/parties.json | awk '{ print \$3 }' | git -C '$HUGE' cat-file --batch")"
  row "git ls-tree | git cat-file --batch ($LARGE)" "$s s" "$((kb / 1024)) MB"
  du -h "$HUGE/.git/folio/index.sqlite" | awk '{ printf "%-58s %12s\n", "index file size", $1 }'
  read -r upd whole <<< "$(incremental "$HUGE" "$LARGE")"
  row "update after a commit of 10 invoices, $LARGE repo (internal)" "$upd ms" ""
  mapfile -t MEDIANS < <(interleaved "$HUGE")
  for k in "${!QUERIES[@]}"; do
    row "folio list ${QUERIES[k]} --json ($LARGE)" "$(ms "${MEDIANS[k + 1]}")" "$(awk -v t="${MEDIANS[k + 1]}" -v v="${MEDIANS[0]}" 'BEGIN { printf "%.2fx floor", t / v }')"
  done
fi
