#!/usr/bin/env bash
# End-to-end benchmark: `yibao run policies/r1.policy` against the hand-written R1
# yardstick (benches/yardstick/r1.rs) on synthetic data from `yibao gen`.
#
#   benches/e2e.sh [SIZE...]        sizes in claims; default: 1000000 10000000
#   RUNS=5 THREADS="1 2" DATA=/tmp/yibao-bench benches/e2e.sh 1000000
#
# For each size: generate the data once (≈110 bytes a claim; 100k patients and
# 500 institutions per 1M claims, as bench-r1), check that yibao and the yardstick
# agree to the fen, then time each RUNS times per thread count and print the
# median wall time, claims/second, peak memory (GNU time's max RSS) and the ratio
# of yibao's time to the yardstick's (1.00 = as fast as hand-written code).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
THREADS=${THREADS:-"1 2"}
DATA=${DATA:-${TMPDIR:-/tmp}/yibao-bench}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time is needed for peak memory (Debian: apt-get install time)" >&2; exit 2; }

cargo build --release --quiet --bin yibao --example r1_yardstick
YIBAO=target/release/yibao
YARD=target/release/examples/r1_yardstick

# Runs a command RUNS times; prints "median_seconds peak_kb" (peak of all runs).
measure() {
  local times=() peak=0 line
  for _ in $(seq "$RUNS"); do
    line=$("$TIME" -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1)
    times+=("${line% *}")
    [ "${line#* }" -gt "$peak" ] && peak=${line#* }
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")" "$peak"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "runs: $RUNS per row, median wall time; peak = max resident set"
printf '%-10s %-9s %-8s %9s %12s %9s %7s\n' claims program threads seconds claims/s peak_MB ratio
for n in "${SIZES[@]}"; do
  dir=$DATA/$n
  if [ ! -s "$dir/claims.csv" ]; then
    "$YIBAO" gen --claims "$n" --patients $(( n / 10 )) --institutions 500 --out "$dir" >/dev/null 2>&1
  fi
  "$YIBAO" run policies/r1.policy --claims "$dir/claims.csv" --institutions "$dir/institutions.csv" \
    --out "$dir/yibao" >/dev/null 2>&1
  "$YARD" "$dir/claims.csv" "$dir/institutions.csv" "$dir/yardstick" >/dev/null
  "$YARD" --agree "$dir/yardstick" "$dir/yibao" >&2
  for t in $THREADS; do
    read -r ys ym < <(measure "$YARD" "$dir/claims.csv" "$dir/institutions.csv" "$dir/yardstick" --threads "$t")
    read -r es em < <(measure "$YIBAO" run policies/r1.policy --claims "$dir/claims.csv" \
      --institutions "$dir/institutions.csv" --out "$dir/yibao" --threads "$t")
    for row in "yardstick $ys $ym" "yibao $es $em"; do
      set -- $row
      awk -v n="$n" -v p="$1" -v t="$t" -v s="$2" -v kb="$3" -v es="$es" -v ys="$ys" 'BEGIN {
        ratio = (p == "yibao") ? sprintf("%.2f", es / ys) : "-"
        printf "%-10s %-9s %-8s %9.2f %12.0f %9.0f %7s\n", n, p, t, s, n / s, kb / 1024, ratio }'
    done
  done
done
