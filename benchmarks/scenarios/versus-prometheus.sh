#!/usr/bin/env bash
# Scenario 2 (issue 6): one database's dashboard view read straight from Prometheus (the engine catalogue's five
# instant queries for that database) against one read through our API, first with the demo Prometheus, then with the
# 10,000-database fleet loaded.
#
#   ./dbm bench versus-prometheus     env: REPEATS (3), SECONDS_PER_RUN (10), CONNECTIONS (64), FLEET (10000),
#                                          OPEN_SECONDS (20)
#
# Closed loop (wrk, same concurrency): Prometheus queries/s ÷ 5 = views/s, against API reads/s (one read = one view).
# Open loop (OpenLoopLoad, HdrHistogram, latency from the intended start): both at the same fixed rate of views/s, set
# to a quarter of Prometheus' closed-loop views/s measured just before, so both can sustain it. Prometheus views send
# their five queries at once on five connections (done when the last answers). The API runs with its defaults (L1 TTL,
# Redis, streams-app), authentication on and rate limits on (high enough never to refuse).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-64}
FLEET=${FLEET:-10000}
OPEN_SECONDS=${OPEN_SECONDS:-20}
PREVIOUS_FLEET=0
[[ -f .dbm/up/run/fleet.size ]] && PREVIOUS_FLEET=$(<.dbm/up/run/fleet.size)
trap './dbm up --fleet "$PREVIOUS_FLEET" >/dev/null 2>&1 || true; bench_cleanup' EXIT
raise_fd_limit

API=$(start_api vp)
AUTH="Authorization: Bearer $TOKEN"
java -cp "$BENCH_JAR" com.dbmetrics.bench.ViewQueries "$DEMO_DB" postgresql >"$WORK/paths.txt"
(($(wc -l <"$WORK/paths.txt") == 5)) || { echo "expected five PromQL queries for $DEMO_DB" >&2; exit 1; }
while read -r p; do # every query must select the database, or the comparison is void
  n=$(prometheus_get "$PROMETHEUS_URL$p" | jq '.data.result | length')
  ((n >= 1)) || { echo "a view query selects nothing: $p" >&2; exit 1; }
done <"$WORK/paths.txt"
{
  echo 'paths = {'
  sed 's/.*/  "&",/' "$WORK/paths.txt"
  echo '}'
  echo 'i = 0'
  echo "wrk.headers[\"Authorization\"] = \"$(prometheus_auth_header | sed 's/^Authorization: //')\""
  echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
} >"$WORK/view.lua"

open_loop() { # TARGET RATE -> "p50 p99 errors"
  local args=(--rate "$2" --seconds "$OPEN_SECONDS" --warmup 5 --connections "$CONNECTIONS"
              --ids "$DEMO_DB:postgresql:acme/shop")
  if [[ $1 == prometheus ]]; then
    args+=(--target prometheus --url "$PROMETHEUS_URL")
  else
    args+=(--target api --url "http://127.0.0.1:$API" --secret-file .dbm/dev-jwt-secret --users 1000)
  fi
  "${GEN_JAVA[@]}" "${args[@]}" >"$WORK/open.out" 2>&1 || true # exit 3 (saturated) is reported, not hidden
  awk '/^result/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
       printf "%s %s %s %s\n", r["p50_ms"], r["p99_ms"], r["errors"], r["sent_rate"] }' "$WORK/open.out"
}

setting() { # LABEL
  local PQ=() AV=() P99P=() P99A=() P50P=() P50A=() EP=0 EA=0 rps p50 p99 err rate
  wrk -t2 -c"$CONNECTIONS" -d3s -s "$WORK/view.lua" "$PROMETHEUS_URL" >/dev/null # warm-up
  wrk -t2 -c"$CONNECTIONS" -d3s -H "$AUTH" "http://127.0.0.1:$API$DEMO_PATH" >/dev/null
  for _ in $(seq 1 "$REPEATS"); do
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$SECONDS_PER_RUN"s --timeout 10s -s "$WORK/view.lua" "$PROMETHEUS_URL")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    EP=$((EP + $(awk '/Non-2xx/ {s += $5} /Socket errors/ {gsub(",", ""); s += $4 + $6 + $8 + $10} END {print s + 0}' <<<"$out")))
    PQ+=("$(awk -v q="$rps" 'BEGIN { printf "%.0f", q / 5 }')")
    read -r rps p50 p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "http://127.0.0.1:$API$DEMO_PATH" "$AUTH")"
    AV+=("$rps") EA=$((EA + err))
  done
  read -r pv _ <<<"$(stats "${PQ[@]}")"
  read -r av _ <<<"$(stats "${AV[@]}")"
  rate=$(awk -v v="$pv" 'BEGIN { r = int(v / 4); print (r < 50 ? 50 : r) }')
  for _ in $(seq 1 "$REPEATS"); do
    read -r p50 p99 err _ <<<"$(open_loop prometheus "$rate")"
    P50P+=("$p50") P99P+=("$p99") EP=$((EP + ${err%.*}))
    read -r p50 p99 err _ <<<"$(open_loop api "$rate")"
    P50A+=("$p50") P99A+=("$p99") EA=$((EA + ${err%.*}))
  done
  layers=$(grep '^result' "$WORK/open.out" | tr ' ' '\n' | grep '^layer_' | sed 's/^layer_//' | paste -sd' ')
  read -r pp99 _ <<<"$(stats "${P99P[@]}")"
  read -r ap99 _ <<<"$(stats "${P99A[@]}")"
  emit "| $1 | $(fmt_stats %.0f "${PQ[@]}") | $(fmt_stats %.0f "${AV[@]}") | **$(ratio "$av" "$pv")×** | $rate |" \
    "$(fmt_stats %.2f "${P50P[@]}") / $(fmt_stats %.2f "${P99P[@]}") | $(fmt_stats %.2f "${P50A[@]}") / $(fmt_stats %.2f "${P99A[@]}") |" \
    "**$(ratio "$pp99" "$ap99")×** | $EP / $EA | $layers |"
}

emit "Closed loop: \`wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s\` (Prometheus: the five queries of $DEMO_DB in turn," \
  "views/s = queries/s ÷ 5). Open loop: OpenLoopLoad for ${OPEN_SECONDS} s after 5 s of warm-up at a quarter of" \
  "Prometheus' closed-loop views/s. $REPEATS runs each, median [min–max]."
emit ""
emit "| Prometheus holds | Prometheus views/s | API views/s | views/s ratio | open-loop views/s | Prometheus p50 / p99 ms | API p50 / p99 ms | p99 ratio (Prometheus ÷ API) | errors (Prometheus / API) | API answers by layer (last open-loop run) |"
emit "|---|---|---|---|---|---|---|---|---|---|"
setting "demo databases ($( [[ $PREVIOUS_FLEET -gt 0 ]] && echo "+ fleet of $PREVIOUS_FLEET" || echo "no fleet"))"
./dbm up --fleet "$FLEET" >&2
for _ in $(seq 1 90); do # until the poller has discovered the fleet and Prometheus scrapes it
  known=$(curl -fsS "$POLLER_URL/metrics" | awk '$1 == "dbm_poller_databases" { printf "%d", $2 }')
  ((known >= FLEET)) && break
  sleep 2
done
((known >= FLEET)) || { echo "the poller knows $known of $FLEET databases" >&2; exit 1; }
setting "+ fleet of $FLEET databases"
emit ""
emit "Targets: API views/s ≥ 10× Prometheus' at the same concurrency, and at the same open-loop rate a p99 ≥ 10× lower," \
  "in both settings. The API runs with its default cache TTLs, so its answers are mostly L1 hits with a refresh from" \
  "Redis per TTL (shares in the last column); both servers and the load tools share the 2 cores."
