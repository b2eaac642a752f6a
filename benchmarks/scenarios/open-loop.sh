#!/usr/bin/env bash
# Issue 6, item 3: open-loop latency of the query API at fixed arrival rates (3,333 req/s, the prior design's 100,000
# users every 30 s; then 10,000 req/s), 10,000 users, 1,000 databases by Zipf popularity, next to the same generator at
# the same rate against a plain Javalin endpoint returning the same bytes (the generator's and the machine's own
# share of the latency). Target: p99 < 5 ms at 10,000 req/s with zero errors.
#
#   ./dbm up --fleet 1000 && ./dbm bench open-loop
#   REPEATS=1 OPEN_LOOP_SECONDS=5 OPEN_LOOP_WARMUP=3 ./dbm bench open-loop     # a smoke run
#
# Generator: com.dbmetrics.bench.OpenLoopLoad (constant arrival rate, latency from each request's intended send time,
# HdrHistogram, keep-alive HTTP/1.1 connections over java.nio; it fails the run when it cannot generate the rate).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

read -ra RATES <<<"${OPEN_LOOP_RATES:-3333 10000}"
MEASURE=${OPEN_LOOP_SECONDS:-30}
WARMUP=${OPEN_LOOP_WARMUP:-10}
CONNECTIONS=${OPEN_LOOP_CONNECTIONS:-64}
TARGET_RATE=10000
TARGET_P99_MS=5

ensure_fleet "$GEN_DATABASES"
API=$(start_api open-loop)
wait_fleet_served "$API" "$GEN_DATABASES"
token=$(./dbm token --user bench-body --tenant fleet/p5)
curl -fsS -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$API/api/v1/domain/fleet/project/p5/databases/fleet-mysql-5/metrics" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")
echo "API on $API (auth on, limits ${HIGH_LIMITS[*]}), plain Javalin on $PLAIN, body $(wc -c <"$WORK/body.json") bytes" >&2

common=(--seconds "$MEASURE" --warmup "$WARMUP" --connections "$CONNECTIONS" --users "$GEN_USERS"
        --databases "$GEN_DATABASES" --secret-file .dbm/dev-jwt-secret)
# JIT warm-up of both fresh JVMs before the first measured run (a cold API JVM on 2 busy cores needs more than one
# run's warm-up: its first runs queue for seconds), not counted
for port in "$PLAIN" "$API"; do
  "${GEN_JAVA[@]}" --url "http://127.0.0.1:$port" --rate "${RATES[0]}" --seconds 5 --warmup "${OPEN_LOOP_JIT_WARMUP:-20}" \
    --connections "$CONNECTIONS" --users "$GEN_USERS" --databases "$GEN_DATABASES" --secret-file .dbm/dev-jwt-secret \
    >/dev/null 2>&1 || true
done

declare -A R # R[rate,what,metric] = space-separated values of the repeats
add() { R[$1,$2,$3]="${R[$1,$2,$3]:-} $4"; }
for ((rep = 1; rep <= REPEATS; rep++)); do
  for rate in "${RATES[@]}"; do
    for what in plain api; do # interleaved, so drift of a noisy host hits both
      port=$PLAIN
      [[ $what == api ]] && port=$API
      echo "repeat $rep, $rate req/s, $what" >&2
      line=$(gen_run --url "http://127.0.0.1:$port" --rate "$rate" --seed "$rep" "${common[@]}")
      if [[ $what == api ]]; then
        check_answers "$line" "API at $rate req/s"
        none=$(field "$line" layer_none)
        awk -v n="$none" 'BEGIN { exit !(n > 0) }' && { echo "API answers without X-Cache: not the API?" >&2; exit 1; }
      fi
      add "$rate" "$what" saturated "$([[ $(field "$line" saturated) == true ]] && echo 1 || echo 0)"
      for m in sent_rate p50_ms p99_ms p999_ms max_ms errors non2xx timeouts conn_errors layer_L1 layer_L2 layer_IQ \
               layer_STALE lag_p99_ms gen_cpu_cores; do
        add "$rate" "$what" "$m" "$(field "$line" "$m")"
      done
    done
  done
done

pct() { awk -v v="$1" 'BEGIN { printf "%.1f", 100 * v }'; }
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
cell() { fmt_stats "$1" ${R[$2,$3,$4]}; }
sum_of() { echo "${R[$1,$2,$3]:-}" | tr ' ' '\n' | awk '{ s += $1 } END { print s + 0 }'; }

emit "Open-loop latency of the query API (issue 6, item 3): a constant arrival rate, each request timed from its"
emit "intended send time (queueing in the generator counts), recorded in an HdrHistogram; ${MEASURE} s measured after a"
emit "${WARMUP} s warm-up that is not counted (and ${OPEN_LOOP_JIT_WARMUP:-20} s of JIT warm-up per server before the first"
emit "run); $CONNECTIONS keep-alive connections. Each request picks one of $GEN_DATABASES fleet databases by Zipf popularity"
emit "(exponent 1: the top database gets 13 %, the top 10 get 39 % of reads), then a random one of the $GEN_USERS users"
emit "allowed to read it (each with its own JWT). The API is the real query-api jar against the up stack's Redis and"
emit "streams-app, authentication on, rate limits on but high enough never to refuse, default L1 TTL (so L1 and L2 both"
emit "answer: the share per layer is part of the result). Baseline in the same run: the same generator at the same rate"
emit "against a plain Javalin endpoint returning the same bytes. Median [min–max] over $REPEATS runs (API and baseline"
emit "interleaved). Errors: non-2xx, timeouts (10 s) and connection errors, summed over the runs. \"gen. lag\" is the"
emit "generator's own delay (due time → picked up for sending), included in the latencies; a run whose lag p99 exceeds"
emit "${GEN_MAX_LAG_MS:-25} ms is not valid and fails the scenario. \"saturated\": runs in which requests waited for a free"
emit "connection and < 99 % of the rate was sent."
emit
emit "| rate | what | sent req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | L1 / L2 / IQ % | gen. lag p99 ms | gen. CPU cores |"
emit "|---|---|---|---|---|---|---|---|---|---|---|"
for rate in "${RATES[@]}"; do
  for what in plain api; do
    label="baseline: plain Javalin, same bytes"
    layers="–"
    if [[ $what == api ]]; then
      label="API (auth + limits + L1/L2/IQ)"
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
      read -r l1 _ _ <<<"$(stats ${R[$rate,api,layer_L1]})"
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
      read -r l2 _ _ <<<"$(stats ${R[$rate,api,layer_L2]})"
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
      read -r iq _ _ <<<"$(stats ${R[$rate,api,layer_IQ]})"
      layers="$(pct "$l1") / $(pct "$l2") / $(pct "$iq")"
    fi
    sat=$(sum_of "$rate" $what saturated)
    sat_note=""
    ((sat == 0)) || sat_note=" (saturated in $sat of $REPEATS)"
    emit "| $rate | $label | $(cell %.0f "$rate" $what sent_rate)$sat_note | $(cell %.2f "$rate" $what p50_ms) |" \
      "$(cell %.2f "$rate" $what p99_ms) | $(cell %.2f "$rate" $what p999_ms) | $(cell %.1f "$rate" $what max_ms) |" \
      "$(sum_of "$rate" $what errors) | $layers | $(cell %.2f "$rate" $what lag_p99_ms) |" \
      "$(cell %.2f "$rate" $what gen_cpu_cores) |"
  done
done
emit

verdict_rate=$TARGET_RATE
[[ " ${RATES[*]} " == *" $TARGET_RATE "* ]] || verdict_rate=${RATES[-1]}
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
read -r p99 p99_lo p99_hi <<<"$(stats ${R[$verdict_rate,api,p99_ms]})"
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
read -r base_p99 _ _ <<<"$(stats ${R[$verdict_rate,plain,p99_ms]})"
errors=$(sum_of "$verdict_rate" api errors)
saturated=$(sum_of "$verdict_rate" api saturated)
met=$(awk -v hi="$p99_hi" -v t="$TARGET_P99_MS" -v e="$errors" -v s="$saturated" \
  'BEGIN { print (hi < t && e == 0 && s == 0) ? "met" : "not met" }')
emit "Target (p99 < ${TARGET_P99_MS} ms at ${TARGET_RATE} req/s, zero errors): **$met** at $verdict_rate req/s, judged on" \
  "every run — p99 median $p99 ms (runs $p99_lo–$p99_hi ms), $errors errors, saturated in $saturated of $REPEATS" \
  "runs; the plain endpoint's p99 at the same rate, same generator, same machine: $base_p99 ms."
[[ $verdict_rate == "$TARGET_RATE" ]] || emit "(The target rate $TARGET_RATE was not among the rates of this run: OPEN_LOOP_RATES=${RATES[*]}.)"
