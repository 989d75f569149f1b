#!/usr/bin/env bash
# End-to-end benchmark: `yibao run policies/r1.policy` against r1-peer, the
# hand-written program for exactly R1 (../shared/bench/r1-peer; its README), on
# synthetic data from `yibao gen`. Without r1-peer, the in-repo yardstick
# (benches/yardstick/r1.rs, 3–4× slower than r1-peer) stands in, and says so.
#
#   benches/e2e.sh [SIZE...]        sizes in claims; default: 1000000 10000000
#   RUNS=5 THREADS="1 2" DATA=/tmp/yibao-bench PEER=/path/to/r1-peer benches/e2e.sh 1000000
#
# For each size: generate the data once (≈110 bytes a claim; 100k patients and
# 500 institutions per 1M claims, as bench-r1), check that yibao and the peer
# agree to the fen (claims: claim_id, fund, serious, patient_paid; every
# institution's figures), then time each RUNS times per thread count, the peer
# and yibao back to back in each round (the machine may be shared: both see the
# same load), and print the median wall time, claims/second, peak memory (GNU
# time's max RSS), the load average, and the ratio of yibao's median time to the
# peer's (1.00 = as fast as hand-written code).
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
# Compares outputs to the fen (the yardstick's --agree reads r1-peer's files too).
AGREE=target/release/examples/r1_yardstick
PEER=${PEER:-../shared/bench/r1-peer}
if [ -x "$PEER" ]; then
  PEER_NAME=r1-peer
else
  echo "no r1-peer at $PEER: timing against the in-repo yardstick instead (3–4× slower than r1-peer)" >&2
  PEER=$AGREE
  PEER_NAME=yardstick
fi

# The peer's command line (its own argument convention) for a data folder, an
# output folder and a thread count, in the array PCMD.
peer_cmd() {
  if [ "$PEER_NAME" = r1-peer ]; then
    PCMD=("$PEER" "$1" "$2" --threads "$3")
  else
    PCMD=("$PEER" "$1/claims.csv" "$1/institutions.csv" "$2" --threads "$3")
  fi
}

# One timed run: prints "seconds peak_kb".
once() {
  "$TIME" -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
}

# The median of the numbers on stdin.
median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "runs: $RUNS per row, $PEER_NAME and yibao back to back each round; median wall time; peak = max resident set; load = 1-minute load average before the rows"
printf '%-10s %-9s %-8s %9s %12s %9s %7s %6s\n' claims program threads seconds claims/s peak_MB ratio load
for n in "${SIZES[@]}"; do
  dir=$DATA/$n
  if [ ! -s "$dir/claims.csv" ]; then
    "$YIBAO" gen --claims "$n" --patients $(( n / 10 )) --institutions 500 --out "$dir" >/dev/null 2>&1
  fi
  "$YIBAO" run policies/r1.policy --claims "$dir/claims.csv" --institutions "$dir/institutions.csv" \
    --out "$dir/yibao" >/dev/null 2>&1
  peer_cmd "$dir" "$dir/peer" 2
  "${PCMD[@]}" >/dev/null 2>&1
  "$AGREE" --agree "$dir/peer" "$dir/yibao" >&2
  for t in $THREADS; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ptimes=() etimes=() pm=0 em=0
    peer_cmd "$dir" "$dir/peer" "$t"
    for _ in $(seq "$RUNS"); do
      read -r s m < <(once "${PCMD[@]}")
      ptimes+=("$s"); [ "$m" -gt "$pm" ] && pm=$m
      read -r s m < <(once "$YIBAO" run policies/r1.policy --claims "$dir/claims.csv" \
        --institutions "$dir/institutions.csv" --out "$dir/yibao" --format csv --threads "$t")
      etimes+=("$s"); [ "$m" -gt "$em" ] && em=$m
    done
    ps=$(printf '%s\n' "${ptimes[@]}" | median)
    es=$(printf '%s\n' "${etimes[@]}" | median)
    for row in "$PEER_NAME $ps $pm" "yibao $es $em"; do
      set -- $row
      awk -v n="$n" -v p="$1" -v t="$t" -v s="$2" -v kb="$3" -v es="$es" -v ps="$ps" -v load="$load" 'BEGIN {
        ratio = (p == "yibao") ? sprintf("%.2f", es / ps) : "-"
        printf "%-10s %-9s %-8s %9.2f %12.0f %9.0f %7s %6s\n", n, p, t, s, n / s, kb / 1024, ratio, load }'
    done
  done
done
