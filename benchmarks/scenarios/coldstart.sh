#!/usr/bin/env bash
# Issue 16, "a starting instance is not ready until warmed": a FRESH API process is offered the users scenario's load
# (100,000 users with their own JWTs over the three demo databases, default rate limits, 64 connections) the moment it
# reports ready (/readyz 200, as a load balancer would send it traffic), with its warm-up on (load.Warmup, the default)
# and off (API_WARMUP_REQUESTS=0: ready as soon as its ports are open, as before), interleaved, REPEATS times each.
# Reported per mode: seconds from the process' start to ready, then the first COLD_SECONDS of load (nothing discarded:
# those seconds are the subject): p50, p99, max, 503 refusals of the overload guard, timeouts, and the API's CPU
# seconds until ready. Baseline in the same run: the same load against lib.sh's plain Javalin endpoint, warm.
#
#   ./dbm up && ./dbm bench coldstart
#   REPEATS=1 COLD_SECONDS=5 ./dbm bench coldstart                 # a smoke run
#
# Knobs: REPEATS (3), COLD_RATE (1500 reads/s), COLD_SECONDS (20), COLD_USERS (100000), COLD_CONNECTIONS (64),
# COLD_API_HEAP (256m, as ./dbm up gives the api).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

RATE=${COLD_RATE:-1500}
SECONDS_MEASURED=${COLD_SECONDS:-20}
USERS=${COLD_USERS:-100000}
CONNECTIONS=${COLD_CONNECTIONS:-64}
API_HEAP=${COLD_API_HEAP:-256m}
TOKEN_IAT=$(date +%s)
GEN_LAG_IS_RESULT=1 # a lagging run is marked (lag p99 shown), not dropped: see gen_run

curl -fsS -H "Authorization: Bearer $TOKEN" "$API_URL$DEMO_PATH" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")
common=(--ids "$DEMO_IDS" --users "$USERS" --connections "$CONNECTIONS" --secret-file .dbm/dev-jwt-secret
        --token-iat "$TOKEN_IAT" --rate "$RATE" --seconds "$SECONDS_MEASURED" --warmup 0)
# the baseline is the machine's warm ceiling, not a cold JVM of its own: its JIT is warmed first (not counted)
gen_run --url "http://127.0.0.1:$PLAIN" --seed 0 "${common[@]}" >/dev/null

# cpu_seconds PID -> user + system CPU seconds of the process so far
cpu_seconds() { awk -v c="$(cpu_ticks "$1")" -v t="$CLK_TCK" 'BEGIN { printf "%.1f", c / t }'; }

declare -A rows
modes=(plain on off)
for ((r = 1; r <= REPEATS; r++)); do
  for mode in "${modes[@]}"; do
    echo "repeat $r: $mode" >&2
    if [[ $mode == plain ]]; then
      line=$(gen_run --url "http://127.0.0.1:$PLAIN" --seed "$r" "${common[@]}")
      rows[$mode]+="$line ready_s=– cpu_ready=–"$'\n'
      continue
    fi
    extra=()
    [[ $mode == off ]] && extra=(API_WARMUP_REQUESTS=0)
    t0=$(date +%s.%N)
    port=$(start_api "cold-$mode" "${DEFAULT_LIMITS[@]}" "${extra[@]}")
    ready_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    pid=$(<"$WORK/api-cold-$mode.pid")
    cpu_ready=$(cpu_seconds "$pid")
    line=$(gen_run --url "http://127.0.0.1:$port" --seed "$r" "${common[@]}")
    check_answers "$line" "API ($mode) at $RATE reads/s" "401 403 404"
    grep -h "Warmed up" "$WORK/api-cold-$mode.log" >&2 || true
    stop_api "cold-$mode"
    rows[$mode]+="$line ready_s=$ready_s cpu_ready=$cpu_ready"$'\n'
  done
done

# median_of MODE KEY -> median [min–max] of KEY over the mode's runs (lib.sh's fmt_stats); – where the mode has none
median_of() {
  local values
  mapfile -t values < <(printf '%s' "${rows[$1]}" | while read -r l; do [[ -n $l ]] && field "$l" "$2"; done)
  if [[ ${values[*]} == *–* ]]; then echo "–"; return; fi
  fmt_stats %s "${values[@]}"
}
sum_of() { printf '%s' "${rows[$1]}" | while read -r l; do [[ -n $l ]] && field "$l" "$2"; done | awk '{ s += $1 } END { print s + 0 }'; }

emit "A fresh API (the query-api jar of this worktree, heap $API_HEAP, default rate limits) offered $RATE reads/s by"
emit "$USERS users (each its own JWT; the three demo databases; $CONNECTIONS connections; open loop, latency from each"
emit "read's intended send time) from the moment its \`/readyz\` answers 200, for $SECONDS_MEASURED s, nothing discarded;"
emit "with its warm-up (\`load.Warmup\`, defaults: 20,000 requests to itself as 10,000 users, at most 30 s) and without"
emit "(\`API_WARMUP_REQUESTS=0\`). Baseline: the same load against the plain Javalin endpoint (lib.sh) returning the"
emit "same bytes, warmed by one such run first (not counted). $REPEATS runs per row, interleaved (plain, warm-up on,"
emit "off); median [min–max]; refusals and timeouts summed over the runs. \"ready\": seconds from the start of the process to \`/readyz\` 200; \"CPU to ready\": the"
emit "API's user + system CPU seconds by then."
emit ""
emit "| API | ready s | CPU to ready s | p50 ms | p99 ms | max ms | 503 refusals | timeouts | other errors | gen. lag p99 ms |"
emit "|---|---|---|---|---|---|---|---|---|---|"
for mode in "${modes[@]}"; do
  case $mode in
    plain) what="baseline: plain Javalin, same bytes" ;;
    on) what="warm-up on (default)" ;;
    off) what="warm-up off (\`API_WARMUP_REQUESTS=0\`)" ;;
  esac
  other=$(( $(sum_of "$mode" errors) - $(sum_of "$mode" status_503) - $(sum_of "$mode" timeouts) ))
  emit "| $what | $(median_of "$mode" ready_s) | $(median_of "$mode" cpu_ready) | $(median_of "$mode" p50_ms) |" \
    "$(median_of "$mode" p99_ms) | $(median_of "$mode" max_ms) | $(sum_of "$mode" status_503) |" \
    "$(sum_of "$mode" timeouts) | $other | $(median_of "$mode" lag_p99_ms) |"
done
emit ""
emit "p99 of the first $SECONDS_MEASURED s: warm-up on $(median_of on p99_ms | cut -d' ' -f1) ms, off" \
  "$(median_of off p99_ms | cut -d' ' -f1) ms, plain Javalin $(median_of plain p99_ms | cut -d' ' -f1) ms (medians)."
