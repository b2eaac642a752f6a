#!/usr/bin/env bash
# Issue 13: the Prometheus-compatible API (/prometheus/api/v1/...) against Prometheus itself, on the stack of ./dbm up
# (demo databases of acme/shop polled every 5 s).
#
#   ./dbm bench promql     env: REPEATS (3), SECONDS_PER_RUN (10), CONNECTIONS (64), WARMUP_SECONDS (20),
#                               LOW_CONNECTIONS (4)
#
# Closed loop (wrk, CONNECTIONS connections, SECONDS_PER_RUN s per run, the runs of both sides interleaved):
# 1. Instant, one project's databases: the API's query of dbmetrics_connections{project="shop"} (all three demo
#    databases) against Prometheus' instant query of the same three series: the poller's connections expression of
#    each demo database, joined with `or`.
# 2. Range, the last hour at the poll interval's step: the API's query_range of dbmetrics_connections{database_id=
#    "pg-demo-1"} (from the streams-app's history) against Prometheus' query_range of the poller's expression for it.
# 3. Range again, a different hour on every request (the window moves by a millisecond a request, on both sides): the
#    API's held renderings never answer (prom.AnswerMemo), so this is the cost of evaluating and rendering each one.
#    And the same hour with Accept-Encoding: gzip, as Go's HTTP client (Grafana's data source, promtool) asks: both
#    servers answer gzipped (Prometheus compresses each answer, the API sends its held encoding).
# 4. Latency without queueing: the instant queries again with LOW_CONNECTIONS connections (neither server saturated;
#    at 64 connections on 2 cores both p99s are mostly queueing behind the other connections).
# Server CPU per answer: each server process's user + system CPU time over the 2xx answers of its -c64 runs (wrk,
# which shares the cores, is not counted on either side).
# Baseline in the same run: a plain Javalin endpoint returning the API's instant answer's bytes (the ceiling of this
# machine for such an answer), at both connection counts. Both sides answer over the same loopback, authenticated (the
# API: a bearer JWT, plain HTTP; Prometheus: the operator's basic auth over TLS, as the stack runs each).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
LOW_CONNECTIONS=${LOW_CONNECTIONS:-4}
INTERVAL_S=5
trap bench_cleanup EXIT
raise_fd_limit

API=$(start_api promql)
API_PID=$(<"$WORK/api-promql.pid")
PROMETHEUS_PID=$(jq -r '.components.prometheus.pid' <<<"$STATUS")
expr_of() { java -cp "$BENCH_JAR" com.dbmetrics.bench.ViewQueries "$1" "$2" connections; }
PROM_INSTANT="($(expr_of pg-demo-1 postgresql)) or ($(expr_of redis-demo-1 redis)) or ($(expr_of mariadb-demo-1 mysql))"
PROM_RANGE=$(expr_of "$DEMO_DB" postgresql)
API_INSTANT='dbmetrics_connections{project="shop"}'
API_RANGE="dbmetrics_connections{database_id=\"$DEMO_DB\"}"
enc() { jq -rn --arg v "$1" '$v | @uri'; }
now=$(date +%s)
RANGE_ARGS="start=$((now - 3600))&end=$now&step=$INTERVAL_S"
# the moving hour: each wrk thread its own run of windows, each request's a millisecond later than its last
cat >"$WORK/moving-hour.lua" <<LUA
local threads = 0
function setup(thread) thread:set("offset", threads * 100000000); threads = threads + 1 end
local n = 0
function request()
  n = n + 1
  local start = ($((now - 3600)) * 1000 + offset + n) / 1000
  return wrk.format(nil, string.format("%s&start=%.3f&end=%.3f&step=$INTERVAL_S", wrk.path, start, start + 3600))
end
LUA
P_INSTANT="$PROMETHEUS_URL/api/v1/query?query=$(enc "$PROM_INSTANT")"
P_RANGE_BASE="$PROMETHEUS_URL/api/v1/query_range?query=$(enc "$PROM_RANGE")"
P_RANGE="$P_RANGE_BASE&$RANGE_ARGS"
A_INSTANT="http://127.0.0.1:$API/prometheus/api/v1/query?query=$(enc "$API_INSTANT")"
A_RANGE_BASE="http://127.0.0.1:$API/prometheus/api/v1/query_range?query=$(enc "$API_RANGE")"
A_RANGE="$A_RANGE_BASE&$RANGE_ARGS"
AUTH="Authorization: Bearer $TOKEN"
PROM_AUTH=$(prometheus_auth_header)

# both sides must select what they are compared on: three series now, one series over the hour
series_count() { jq '.data.result | length'; }
points_count() { jq '[.data.result[].values | length] | add // 0'; }
p_series=$(prometheus_get "$P_INSTANT" | series_count)
a_series=$(curl -fsS -H "$AUTH" "$A_INSTANT" | series_count)
p_points=$(prometheus_get "$P_RANGE" | points_count)
a_points=$(curl -fsS -H "$AUTH" "$A_RANGE" | points_count)
((p_series == 3 && a_series == 3)) || { echo "instant queries select $p_series (Prometheus) and $a_series (API) series, not 3" >&2; exit 1; }
((p_points > 0 && a_points > 0)) || { echo "range queries select $p_points (Prometheus) and $a_points (API) points" >&2; exit 1; }

# warm-up: the API's JIT needs tens of seconds on these machines before it runs at speed (Prometheus is compiled
# ahead of time); both sides get the same load first
# the machine's ceiling for an answer of that size: a plain Javalin endpoint returning the API's instant answer's bytes
curl -fsS -H "$AUTH" "$A_INSTANT" >"$WORK/instant.json"
PLAIN_URL="http://127.0.0.1:$(start_plain "$WORK/instant.json")/"
PLAIN_PID=$(<"$WORK/plain.pid")
for url in "$A_INSTANT" "$A_RANGE"; do wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$url" "$AUTH" >/dev/null; done
WRK_SCRIPT=$WORK/moving-hour.lua wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$A_RANGE_BASE" "$AUTH" >/dev/null
for url in "$P_INSTANT" "$P_RANGE"; do wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$url" "$PROM_AUTH" >/dev/null; done
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$A_RANGE" "$AUTH" "Accept-Encoding: gzip" >/dev/null
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$PLAIN_URL" >/dev/null
MOVING=$WORK/moving-hour.lua
GZIP="Accept-Encoding: gzip" # what Go's HTTP client (Grafana's data source, promtool) sends unless told otherwise
for _ in $(seq 1 "$REPEATS"); do
  wrk_row p_instant "$PROMETHEUS_PID" "$CONNECTIONS" "$P_INSTANT" "$PROM_AUTH"
  wrk_row a_instant "$API_PID" "$CONNECTIONS" "$A_INSTANT" "$AUTH"
  wrk_row plain "$PLAIN_PID" "$CONNECTIONS" "$PLAIN_URL"
  wrk_row p_range "$PROMETHEUS_PID" "$CONNECTIONS" "$P_RANGE" "$PROM_AUTH"
  wrk_row a_range "$API_PID" "$CONNECTIONS" "$A_RANGE" "$AUTH"
  wrk_row p_range_gz "$PROMETHEUS_PID" "$CONNECTIONS" "$P_RANGE" "$PROM_AUTH" "$GZIP"
  wrk_row a_range_gz "$API_PID" "$CONNECTIONS" "$A_RANGE" "$AUTH" "$GZIP"
  WRK_SCRIPT=$MOVING wrk_row p_moving "$PROMETHEUS_PID" "$CONNECTIONS" "$P_RANGE_BASE" "$PROM_AUTH"
  WRK_SCRIPT=$MOVING wrk_row a_moving "$API_PID" "$CONNECTIONS" "$A_RANGE_BASE" "$AUTH"
  # latency without queueing: few connections, neither server saturated
  wrk_row p_low "$PROMETHEUS_PID" "$LOW_CONNECTIONS" "$P_INSTANT" "$PROM_AUTH"
  wrk_row a_low "$API_PID" "$LOW_CONNECTIONS" "$A_INSTANT" "$AUTH"
  wrk_row plain_low "$PLAIN_PID" "$LOW_CONNECTIONS" "$PLAIN_URL"
done
ERR_P=$((W[p_instant,errors] + W[p_range,errors] + W[p_range_gz,errors] + W[p_moving,errors] + W[p_low,errors]))
ERR_A=$((W[a_instant,errors] + W[a_range,errors] + W[a_range_gz,errors] + W[a_moving,errors] + W[a_low,errors]))
memo=$(curl -fsS "http://127.0.0.1:$(<"$WORK/api-promql.mport")/metrics" \
  | awk '/^dbm_api_prometheus_answers_(rendered|held)_total/ { sub(/^dbm_api_prometheus_answers_/, "", $1)
      sub(/_total$/, "", $1); printf "%s %.0f, ", $1, $2 }')

emit "\`wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s\` (and \`-c$LOW_CONNECTIONS\` for the latency rows), $REPEATS runs of" \
  "each interleaved after ${WARMUP_SECONDS} s of the same load on each query, median [min–max]; one API instance" \
  "(\`java -Xmx$API_HEAP\`), Prometheus and wrk on the same 2 cores as the whole stack. Non-2xx and socket errors over" \
  "every run: Prometheus $ERR_P, API $ERR_A (the API's are its overload guard's immediate 503s while wrk's" \
  "$CONNECTIONS connections queue on 2 cores); the rates count 2xx answers only. Server CPU: the server process's user +" \
  "system CPU time in the run over its 2xx answers (wrk's own CPU, on the same cores, is on neither side). The API's" \
  "answers over the whole run: ${memo%, } (prom.AnswerMemo)."
emit ""
emit "| query | series / points | 2xx answers/s (-c$CONNECTIONS) | p99 ms (-c$CONNECTIONS) | server CPU µs per answer |"
emit "|---|---|---|---|---|"
emit "| baseline: plain Javalin, the API's instant answer's bytes | – $(w_row plain)"
emit "| Prometheus instant: connections of the 3 demo databases (the poller's expressions joined with \`or\`) | $p_series series $(w_row p_instant)"
emit "| API instant: \`$API_INSTANT\` | $a_series series $(w_row a_instant)"
emit "| Prometheus \`query_range\`, last hour, step ${INTERVAL_S}s: the poller's connections expression of $DEMO_DB | $p_points points $(w_row p_range)"
emit "| API \`query_range\`, same hour and step: \`$API_RANGE\` | $a_points points $(w_row a_range)"
emit "| Prometheus \`query_range\`, same hour, \`Accept-Encoding: gzip\` (as Grafana's Go client asks) | $p_points points $(w_row p_range_gz)"
emit "| API \`query_range\`, same hour, \`Accept-Encoding: gzip\` | $a_points points $(w_row a_range_gz)"
emit "| Prometheus \`query_range\`, a different hour on each request (moved by 1 ms) | $p_points points $(w_row p_moving)"
emit "| API \`query_range\`, a different hour on each request (never a held rendering) | $a_points points $(w_row a_moving)"
emit ""
emit "| instant query with $LOW_CONNECTIONS connections | p50 ms | p99 ms |"
emit "|---|---|---|"
emit "| baseline: plain Javalin | $(w_cell plain_low p50 %.2f) | $(w_cell plain_low p99 %.2f) |"
emit "| Prometheus | $(w_cell p_low p50 %.2f) | $(w_cell p_low p99 %.2f) |"
emit "| API | $(w_cell a_low p50 %.2f) | $(w_cell a_low p99 %.2f) |"
emit ""
emit "Instant: API ÷ Prometheus queries/s = **$(w_ratio a_instant p_instant rate)×** (goal ≥ 10×;" \
  "the plain endpoint's ceiling on this machine in the same run is $(w_ratio plain p_instant rate)×" \
  "Prometheus'), server CPU per answer $(w_ratio p_instant a_instant cpu_us)× less (the plain" \
  "endpoint's: $(w_ratio p_instant plain cpu_us)× less);" \
  "Prometheus p99 ÷ API p99 = **$(w_ratio p_low a_low p99)×** with $LOW_CONNECTIONS connections" \
  "(the plain endpoint's: $(w_ratio p_low plain_low p99)×)," \
  "$(w_ratio p_instant a_instant p99)× with $CONNECTIONS (goal ≥ 10×). Range over the last hour:" \
  "API ÷ Prometheus queries/s = **$(w_ratio a_range p_range rate)×** (goal ≥ 10×), server CPU per" \
  "answer $(w_ratio p_range a_range cpu_us)× less; with gzip, as Grafana asks:" \
  "**$(w_ratio a_range_gz p_range_gz rate)×** the queries/s," \
  "$(w_ratio p_range_gz a_range_gz cpu_us)× less CPU per answer; a different hour each request:" \
  "$(w_ratio a_moving p_moving rate)× the queries/s," \
  "$(w_ratio p_moving a_moving cpu_us)× less CPU per answer. The API's range answer has fewer" \
  "points when the history holds less than the hour (it starts when the streams-app first saw the database)."
