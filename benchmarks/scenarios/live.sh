#!/usr/bin/env bash
# Issue 15: the live side against its baselines, on the stack of ./dbm up (demo databases polled every 5 s).
#
#   ./dbm bench live     env: REPEATS (3), STREAMS (10000), BASE_STREAMS (100), STREAM_SECONDS (60),
#                             SECONDS_PER_RUN (10), WARMUP_SECONDS (20), CONNECTIONS (64), AGE_SECONDS (30),
#                             AGE_RATE (200), AGE_SLOW_SECONDS (60)
#
# 1. Streams: one API instance of its own (defaults, limits high), STREAMS project streams of acme/shop opened by
#    LiveBench (one NIO selector thread, one token per ten streams), measured STREAM_SECONDS after 10 s; beside
#    BASE_STREAMS streams on the same instance in the same run. Delivery latency = a stream's receive time − the time
#    LiveBench's own subscription to dbm:feed:snapshots received the snapshot (published by the same Redis script call
#    that makes it visible); expected events = snapshots published in the window × streams. CPU per delivered event =
#    the API process' CPU time within the window (LiveBench reads /proc) ÷ events delivered, the baseline's removed. Polling at the same freshness: a dashboard reading the
#    project listing every 2 s; its bytes are measured with curl (request line and headers as curl sends them, the
#    answer's headers and body).
# 2. History: closed loop (wrk, CONNECTIONS connections, SECONDS_PER_RUN s, after WARMUP_SECONDS of the same load), the
#    API's last hour of pg-demo-1 (one metric, and all five) against Prometheus' query_range of the one (its connections
#    query) over the same hour at the poll interval's step; a plain Javalin endpoint returning the one-metric answer's
#    bytes is the machine's ceiling; each server's CPU per answer as in promql.sh.
# 3. Ages: the same API build with the live feed on and off (API_LIVE_FEED), read by one user once a second for
#    AGE_SLOW_SECONDS and at AGE_RATE reads/s for AGE_SECONDS: each answer's data age (receive time − its timestamp).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STREAMS=${STREAMS:-10000}
BASE_STREAMS=${BASE_STREAMS:-100}
STREAM_SECONDS=${STREAM_SECONDS:-60}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
CONNECTIONS=${CONNECTIONS:-64}
AGE_SECONDS=${AGE_SECONDS:-30}
AGE_RATE=${AGE_RATE:-200}
AGE_SLOW_SECONDS=${AGE_SLOW_SECONDS:-60}
INTERVAL_S=5
INGESTION_DELAY_S=2
trap bench_cleanup EXIT
raise_fd_limit
OPERATOR_REDIS=(REDIS_USERNAME=operator "REDIS_PASSWORD_FILE=$SECRETS_DIR/redis-operator.password"
                "REDIS_CA_FILE=$CA_FILE")


API=$(start_api live)
API_PID=$(<"$WORK/api-live.pid")

stream_run() { # N -> "p50 p99 p999 max missing expected open user_s sys_s received bytes_per_min"
  env "${OPERATOR_REDIS[@]}" java -Xmx1g -cp "$BENCH_JAR" com.dbmetrics.bench.LiveBench streams \
    --url "http://127.0.0.1:$API" --secret-file .dbm/dev-jwt-secret --redis-url "$REDIS_URL" --streams "$1" \
    --seconds "$STREAM_SECONDS" --warmup 10 --project acme/shop --api-pid "$API_PID" 2>"$WORK/live-$1.err" \
    | awk '/^result/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      printf "%s %s %s %s %s %s %s %s %s %s %.0f\n", r["p50_ms"], r["p99_ms"], r["p999_ms"], r["max_ms"], r["missing"],
        r["expected"], r["open_at_end"], r["window_user_s"], r["window_sys_s"], r["received"],
        r["bytes_per_stream_per_min"] }'
}

emit "Streams: one API instance (\`java -Xmx$API_HEAP\`), project streams of acme/shop (3 demo databases, one snapshot" \
  "each every ${INTERVAL_S} s), ${STREAM_SECONDS} s measured after 10 s; $REPEATS runs each, the baseline" \
  "(${BASE_STREAMS} streams) and ${STREAMS} streams interleaved; median [min–max]. LiveBench and the API share the" \
  "2 cores with the whole stack."
emit ""
emit "| streams | p50 ms | p99 ms | p99.9 ms | max ms | events missing / expected | streams open at the end | API CPU s in the window (user + system) per run | events received in the window per run | bytes per stream per minute |"
emit "|---|---|---|---|---|---|---|---|---|---|"
: >"$WORK/streams.tsv" # one line per run: n p50 p99 p999 max missing expected open user_s sys_s received bytes
for _ in $(seq 1 "$REPEATS"); do
  for n in "$BASE_STREAMS" "$STREAMS"; do
    echo "$n $(stream_run "$n")" >>"$WORK/streams.tsv"
  done
done
column_of() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$WORK/streams.tsv"; } # N COLUMN -> one value per run
for n in "$BASE_STREAMS" "$STREAMS"; do
  mapfile -t p50s < <(column_of "$n" 2)
  mapfile -t p99s < <(column_of "$n" 3)
  mapfile -t p999s < <(column_of "$n" 4)
  mapfile -t maxs < <(column_of "$n" 5)
  cpus=$(awk -v n="$n" '$1 == n { printf "%s%.1f + %.1f", sep, $9, $10; sep = ", " }' "$WORK/streams.tsv")
  events=$(column_of "$n" 11 | paste -sd, | sed 's/,/, /g')
  miss=$(awk -v n="$n" '$1 == n { m += $6; e += $7 } END { printf "%d / %d", m, e }' "$WORK/streams.tsv")
  opens=$(column_of "$n" 8 | paste -sd, | sed 's/,/, /g')
  emit "| $n | $(fmt_stats %.1f "${p50s[@]}") | $(fmt_stats %.1f "${p99s[@]}") | $(fmt_stats %.1f "${p999s[@]}") |" \
    "$(fmt_stats %.1f "${maxs[@]}") | $miss | $opens | $cpus | $events | $(column_of "$n" 12 | sort -g | head -1) |"
done
STREAM_BYTES_PER_MIN=$(column_of "$STREAMS" 12 | sort -g | head -1)
# CPU per delivered event: the API's CPU time within the measured windows (not while streams open), the difference
# between the two sizes' runs (the instance's own idle work cancels out) over the events they delivered more
awk -v a="$BASE_STREAMS" -v b="$STREAMS" '$1 == a { ua += $9; sa += $10; ea += $11 } $1 == b { ub += $9; sb += $10; eb += $11 }
  END { if (eb > ea) printf "%.1f %.1f\n", (ub - ua) / (eb - ea) * 1e6, (sb - sa) / (eb - ea) * 1e6 }' \
  "$WORK/streams.tsv" >"$WORK/per-event"
read -r US_PER_EVENT SYS_PER_EVENT <"$WORK/per-event"
emit ""
emit "API CPU per delivered event (its CPU time in the measured windows of the ${STREAMS}-stream runs minus the" \
  "${BASE_STREAMS}-stream runs, over the events they delivered more): ${US_PER_EVENT} µs user + ${SYS_PER_EVENT} µs system. The stream's clients are on the same" \
  "machine: the kernel's loopback charges the receiving side's TCP work to the sender's system time."

# polling the same project at the same freshness: one listing every 2 s
LIST_URL="http://127.0.0.1:$API/api/v1/domain/acme/project/shop/databases"
poll_bytes=$(curl -s -o /dev/null -w '%{size_request} %{size_header} %{size_download}' -H "Authorization: Bearer $TOKEN" \
  -H 'Accept-Encoding: gzip' "$LIST_URL" | awk '{ print $1 + $2 + $3 }')
emit ""
emit "Polling at the same freshness (the listing every 2 s): 30 requests and $((poll_bytes * 30)) bytes per dashboard" \
  "and minute ($poll_bytes bytes a request, measured with curl, gzip accepted); a stream: 0 requests after it opens" \
  "and ${STREAM_BYTES_PER_MIN:-?} bytes per minute (measured above, headers and heartbeats included): for ${STREAMS}" \
  "dashboards, $((STREAMS * 30 / 60)) requests/s saved and" \
  "$(awk -v p="$poll_bytes" -v s="${STREAM_BYTES_PER_MIN:-0}" 'BEGIN { if (s > 0) printf "%.1f", p * 30 / s; else print "n/a" }')× fewer bytes."

# History against Prometheus' query_range of the same hour
now=$(date +%s)
java -cp "$BENCH_JAR" com.dbmetrics.bench.ViewQueries "$DEMO_DB" postgresql >"$WORK/paths.txt"
RANGE_PATH=$(grep -i 'connections\|numbackends' "$WORK/paths.txt" | head -1 | sed 's|/api/v1/query?|/api/v1/query_range?|')
RANGE_PATH="$RANGE_PATH&start=$((now - 3600))&end=$now&step=${INTERVAL_S}"
points=$(prometheus_get "$PROMETHEUS_URL$RANGE_PATH" | jq '[.data.result[].values | length] | add // 0')
((points > 0)) || { echo "Prometheus' range query selects nothing: $RANGE_PATH" >&2; exit 1; }
HIST_PATH="/api/v1/domain/acme/project/shop/databases/$DEMO_DB/metrics/history?from=$((now - 3600))&to=$now"
HIST_ONE="$HIST_PATH&fields=connections" # the same metric as Prometheus' range query
api_points=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API$HIST_PATH" | jq '.points | length')
PROM_AUTH=$(prometheus_auth_header)
PROMETHEUS_PID=$(jq -r '.components.prometheus.pid' <<<"$STATUS")
AUTH="Authorization: Bearer $TOKEN"
GZIP="Accept-Encoding: gzip" # what browsers (the page's sparklines) and Go's clients send
# the machine's ceiling for the one-metric answer: a plain Javalin endpoint returning its bytes
curl -fsS -H "$AUTH" "http://127.0.0.1:$API$HIST_ONE" >"$WORK/history-one.json"
PLAIN_URL="http://127.0.0.1:$(start_plain "$WORK/history-one.json")/"
PLAIN_PID=$(<"$WORK/plain.pid")
# warm-up: each read under the same load first (the API's JIT needs tens of seconds here, see promql.sh)
for url in "http://127.0.0.1:$API$HIST_PATH" "http://127.0.0.1:$API$HIST_ONE"; do
  wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$url" "$AUTH" >/dev/null
done
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "http://127.0.0.1:$API$HIST_ONE" "$AUTH" "$GZIP" >/dev/null
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$PROMETHEUS_URL$RANGE_PATH" "$PROM_AUTH" >/dev/null
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$PLAIN_URL" >/dev/null
for _ in $(seq 1 "$REPEATS"); do
  wrk_row h_prom "$PROMETHEUS_PID" "$CONNECTIONS" "$PROMETHEUS_URL$RANGE_PATH" "$PROM_AUTH"
  wrk_row h_all "$API_PID" "$CONNECTIONS" "http://127.0.0.1:$API$HIST_PATH" "$AUTH"
  wrk_row h_one "$API_PID" "$CONNECTIONS" "http://127.0.0.1:$API$HIST_ONE" "$AUTH"
  wrk_row h_plain "$PLAIN_PID" "$CONNECTIONS" "$PLAIN_URL"
  wrk_row h_prom_gz "$PROMETHEUS_PID" "$CONNECTIONS" "$PROMETHEUS_URL$RANGE_PATH" "$PROM_AUTH" "$GZIP"
  wrk_row h_one_gz "$API_PID" "$CONNECTIONS" "http://127.0.0.1:$API$HIST_ONE" "$AUTH" "$GZIP"
  wrk_row h_all_gz "$API_PID" "$CONNECTIONS" "http://127.0.0.1:$API$HIST_PATH" "$AUTH" "$GZIP"
done
hp=$(w_med h_prom rate) ha=$(w_med h_all rate) h1=$(w_med h_one rate)
h_api_errors=$((W[h_all,errors] + W[h_one,errors] + W[h_all_gz,errors] + W[h_one_gz,errors]))
emit ""
emit "History of the last hour: \`wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s\`, $REPEATS runs interleaved after" \
  "${WARMUP_SECONDS} s of the same load on each, median [min–max]; rates count 2xx answers (non-2xx and socket errors:" \
  "Prometheus $((W[h_prom,errors] + W[h_prom_gz,errors])), API $h_api_errors). Server CPU: the server process's user +" \
  "system CPU time in the run over its 2xx answers."
emit ""
emit "| read | points per answer | reads/s | p99 ms | server CPU µs per answer |"
emit "|---|---|---|---|---|"
emit "| baseline: plain Javalin, the one-metric answer's bytes | – $(w_row h_plain)"
emit "| Prometheus \`query_range\` of one metric (connections), step ${INTERVAL_S}s | $points $(w_row h_prom)"
emit "| API \`.../metrics/history?fields=connections\` (the same metric) | $api_points $(w_row h_one)"
emit "| API \`.../metrics/history\` (all five metrics) | $api_points $(w_row h_all)"
emit "| Prometheus \`query_range\` of one metric, \`Accept-Encoding: gzip\` | $points $(w_row h_prom_gz)"
emit "| API \`.../metrics/history?fields=connections\`, \`Accept-Encoding: gzip\` | $api_points $(w_row h_one_gz)"
emit "| API \`.../metrics/history\` (all five metrics), \`Accept-Encoding: gzip\` | $api_points $(w_row h_all_gz)"
emit ""
emit "Same metric, same hour: API reads/s ÷ Prometheus query_range/s = **$(ratio "$h1" "$hp")×** (goal ≥ 10×). A whole" \
  "card (five metrics): the API's one read against five range queries (Prometheus' rate ÷ 5) =" \
  "**$(awk -v a="$ha" -v p="$hp" 'BEGIN { if (p > 0) printf "%.1f", a / (p / 5); else print "n/a" }')×**; five metrics" \
  "against one query_range: $(ratio "$ha" "$hp")×. The plain endpoint's ceiling for the one-metric answer's bytes on" \
  "this machine in the same run: $(w_ratio h_plain h_prom rate)× Prometheus' rate. Server CPU per answer, same" \
  "metric: $(w_ratio h_prom h_one cpu_us)× less than Prometheus' (the plain endpoint's:" \
  "$(w_ratio h_prom h_plain cpu_us)× less). With gzip, as browsers and Grafana ask (both" \
  "servers answer gzipped: Prometheus compresses each answer, the API sends the slice's held encoding): same metric" \
  "**$(w_ratio h_one_gz h_prom_gz rate)×** Prometheus' reads/s," \
  "$(w_ratio h_prom_gz h_one_gz cpu_us)× less CPU per answer; a whole card against five" \
  "range queries: $(awk -v a="$(w_med h_all_gz rate)" -v p="$(w_med h_prom_gz rate)" \
    'BEGIN { if (p > 0) printf "%.1f", a / (p / 5); else print "n/a" }')×."

# Data ages with the live feed on and off: same build, same instance settings
stop_api live
API_ON=$(start_api on)
API_OFF=$(start_api off API_LIVE_FEED=false)
sleep 5
age_run() { # PORT RATE SECONDS -> "p50 p99 max errors"
  java -cp "$BENCH_JAR" com.dbmetrics.bench.LiveBench ages --url "http://127.0.0.1:$1" \
    --secret-file .dbm/dev-jwt-secret --rate "$2" --seconds "$3" --users 1 2>/dev/null \
    | awk '/^result/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                       printf "%s %s %s %s\n", r["age_p50_ms"], r["age_p99_ms"], r["age_max_ms"], r["errors"] }'
}
age_rows() { # RATE SECONDS: one table row per feed setting
  local on50=() on99=() onmax=() off50=() off99=() offmax=() a b c e
  for _ in $(seq 1 "$REPEATS"); do
    read -r a b c e <<<"$(age_run "$API_ON" "$1" "$2")"; on50+=("$a") on99+=("$b") onmax+=("$c") AGE_ERRORS=$((AGE_ERRORS + e))
    read -r a b c e <<<"$(age_run "$API_OFF" "$1" "$2")"; off50+=("$a") off99+=("$b") offmax+=("$c") AGE_ERRORS=$((AGE_ERRORS + e))
  done
  emit "| $1 reads/s for $2 s | true | $(fmt_stats %.0f "${on50[@]}") | $(fmt_stats %.0f "${on99[@]}") | $(fmt_stats %.0f "${onmax[@]}") |"
  emit "| $1 reads/s for $2 s | false | $(fmt_stats %.0f "${off50[@]}") | $(fmt_stats %.0f "${off99[@]}") | $(fmt_stats %.0f "${offmax[@]}") |"
}
AGE_ERRORS=0
emit ""
emit "Data age of answers (receive time − snapshot timestamp) of $DEMO_DB, the same build with the live feed on and off," \
  "$REPEATS runs interleaved, L1 TTL 5 s (default), poll interval ${INTERVAL_S} s, ingestion delay ${INGESTION_DELAY_S} s;" \
  "goal p99 ≤ interval + ingestion delay + 1 s = $((INTERVAL_S + INGESTION_DELAY_S + 1)) s. One dashboard reading once a" \
  "second (L1 is not refreshed ahead: nobody reads the entry past half its TTL often enough), and ${AGE_RATE} reads/s."
emit ""
emit "| load | API_LIVE_FEED | age p50 ms | age p99 ms | age max ms |"
emit "|---|---|---|---|---|"
age_rows 1 "$AGE_SLOW_SECONDS"
age_rows "$AGE_RATE" "$AGE_SECONDS"
emit ""
emit "Errors: $AGE_ERRORS."
