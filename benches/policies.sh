#!/usr/bin/env bash
# Every shipped policy on the same generated claims: claims/second of
# `yibao run POLICY --out DIR --format csv`, and its share of R1's (issue 17:
# no code path is keyed to one policy's shape, so each should reach at least a
# third of R1's speed).
#
#   benches/policies.sh [SIZE]         default 1000000 claims
#   RUNS=3 THREADS=2 DATA=/tmp/yibao-bench benches/policies.sh 1000000
#
# The data is e2e.sh's (`yibao gen`: 100k patients and 500 institutions per 1M
# claims, with assessments.csv for the policies that return withholds by score),
# generated once. Each policy runs RUNS times; the median wall time is printed
# with claims/s and the ratio to r1.policy's claims/s (1.00 = as fast as R1).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
DATA=${DATA:-${TMPDIR:-/tmp}/yibao-bench}
n=${1:-1000000}
dir=$DATA/$n

cargo build --release --quiet --bin yibao
YIBAO=target/release/yibao
if [ ! -s "$dir/claims.csv" ] || [ ! -s "$dir/assessments.csv" ]; then
  "$YIBAO" gen --claims "$n" --patients $(( n / 10 )) --institutions 500 --out "$dir" >/dev/null 2>&1
fi

# The median of the numbers on stdin.
median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Median wall seconds of RUNS runs of policy $1.
seconds() {
  local times=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$YIBAO" run "$1" --claims "$dir/claims.csv" --institutions "$dir/institutions.csv" \
      --assessments "$dir/assessments.csv" --out "$dir/policy-out" --format csv \
      --threads "$THREADS" >/dev/null 2>"$dir/policy.err" || { cat "$dir/policy.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | median
}

echo "machine: $(nproc) cores; $n claims; $THREADS threads; median of $RUNS runs; load $(cut -d' ' -f1 /proc/loadavg)"
r1=$(seconds policies/r1.policy)
printf '%-24s %9s %12s %9s\n' policy seconds claims/s "vs R1"
below=0
for p in policies/*.policy; do
  if [ "$p" = policies/r1.policy ]; then s=$r1; else s=$(seconds "$p"); fi
  share=$(awk -v s="$s" -v r="$r1" 'BEGIN { printf "%.2f", r / s }')
  flag=$(awk -v x="$share" 'BEGIN { print (x < 1/3) ? "  below a third of R1" : "" }')
  [ -n "$flag" ] && below=$((below + 1))
  printf '%-24s %9.2f %12.0f %9s%s\n' "$(basename "$p" .policy)" "$s" "$(awk -v n="$n" -v s="$s" 'BEGIN { print n / s }')" "$share" "$flag"
done
rm -rf "$dir/policy-out" "$dir/policy.err"
[ "$below" -eq 0 ] || { echo "$below policies below a third of R1's claims/s" >&2; exit 1; }
