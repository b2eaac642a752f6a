#!/usr/bin/env bash
# Diagnosis of the open-loop p99 (issue 6, item 3), not a result: which requests make the query API's tail?
#
#   ./dbm up --fleet 1000 && benchmarks/scripts/open-loop-tail.sh [RATE] [SECONDS] [REPEATS]     # 10000 20 3
#
# The open-loop scenario's workload (10,000 users, 1,000 fleet databases by Zipf popularity, 64 connections) against
# the plain Javalin endpoint and three query-api configurations, interleaved, each with its server's CPU per request:
#   default      the scenario's API: L1 TTL 5 s, rate-limit window 1 min (per-user, per-database and global limits on,
#                high): each user's first request in a window waits for a Redis round trip (its lease), and each
#                database's first request after its L1 entry expired waits for Redis (L2)
#   window-1h    the same with a 1 h rate-limit window: after the warm-up no request waits for a lease
#   window-1h+l1 also L1 TTL 1 h: no request waits for Redis at all
# The two diagnostic configurations switch off work the scenario must measure: they only show where its tail comes
# from. Prints a markdown table (median [min–max] over REPEATS).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/_generator.sh"

RATE=${1:-10000}
SECONDS_MEASURED=${2:-20}
REPEATS=${3:-3}
VARIANTS=(default window-1h window-1h+l1)
declare -A SETTINGS=([default]="" [window-1h]="METRICS_RATE_LIMIT_WINDOW=1h"
                     [window-1h+l1]="METRICS_RATE_LIMIT_WINDOW=1h METRICS_CACHE_MEMORY_TTL=1h")

ensure_fleet "$GEN_DATABASES"
common=(--connections 64 --users "$GEN_USERS" --databases "$GEN_DATABASES" --secret-file .dbm/dev-jwt-secret)
declare -A PORT PID
for v in "${VARIANTS[@]}"; do
  # shellcheck disable=SC2086 # SETTINGS holds VAR=VALUE words
  PORT[$v]=$(start_api "$v" ${SETTINGS[$v]})
  PID[$v]=$(<"$WORK/api-$v.pid")
  wait_fleet_served "${PORT[$v]}" "$GEN_DATABASES"
done
token=$(./dbm token --user bench-body --tenant fleet/p5)
curl -fsS -H "Authorization: Bearer $token" \
  "http://127.0.0.1:${PORT[default]}/api/v1/domain/fleet/project/p5/databases/fleet-mysql-5/metrics" >"$WORK/body.json"
PORT[plain]=$(start_plain "$WORK/body.json")
PID[plain]=$(<"$WORK/plain.pid")

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
declare -A R
for v in plain "${VARIANTS[@]}"; do # JIT warm-up, not counted
  "${GEN_JAVA[@]}" --url "http://127.0.0.1:${PORT[$v]}" --rate "$RATE" --seconds 5 --warmup 25 "${common[@]}" \
    >/dev/null 2>&1 || true
done
for ((rep = 1; rep <= REPEATS; rep++)); do
  for v in plain "${VARIANTS[@]}"; do
    t0=$(cpu_ticks "${PID[$v]}")
    line=$(gen_run --url "http://127.0.0.1:${PORT[$v]}" --rate "$RATE" --seconds "$SECONDS_MEASURED" --warmup 5 \
      --seed "$rep" "${common[@]}")
    t1=$(cpu_ticks "${PID[$v]}")
    us=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n=$((RATE * (SECONDS_MEASURED + 5))) \
      'BEGIN { printf "%.0f", d / hz * 1e6 / n }')
    echo "$v run $rep: $(field "$line" p99_ms) ms p99, $us µs CPU per request" >&2
    for m in p50_ms p99_ms p999_ms errors layer_L2 lag_p99_ms; do R[$v,$m]="${R[$v,$m]:-} $(field "$line" "$m")"; done
    R[$v,cpu]="${R[$v,cpu]:-} $us"
  done
done

echo "Open loop at $RATE req/s, ${SECONDS_MEASURED} s per run, median [min–max] of $REPEATS runs, $(nproc) cores," \
  "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| server | p50 ms | p99 ms | p99.9 ms | errors | L2 answers % | server CPU µs/request | gen. lag p99 ms |"
echo "|---|---|---|---|---|---|---|---|"
for v in plain "${VARIANTS[@]}"; do
  l2=$(for x in ${R[$v,layer_L2]}; do awk -v x="$x" 'BEGIN { printf "%.2f\n", x * 100 }'; done)
  # shellcheck disable=SC2086
  echo "| $v | $(fmt_stats %.2f ${R[$v,p50_ms]}) | $(fmt_stats %.2f ${R[$v,p99_ms]}) |" \
    "$(fmt_stats %.2f ${R[$v,p999_ms]}) | $(echo ${R[$v,errors]} | tr ' ' '+' | bc) | $(fmt_stats %.2f $l2) |" \
    "$(fmt_stats %.0f ${R[$v,cpu]}) | $(fmt_stats %.1f ${R[$v,lag_p99_ms]}) |"
done
