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
# 3. Latency without queueing: the instant queries again with LOW_CONNECTIONS connections (neither server saturated;
#    at 64 connections on 2 cores both p99s are mostly queueing behind the other connections).
# Baseline in the same run: a plain Javalin endpoint returning the API's instant answer's bytes (the ceiling of this
# machine for such an answer). Both sides answer over the same loopback, authenticated (the API: a bearer JWT, plain
# HTTP; Prometheus: the operator's basic auth over TLS, as the stack runs each).
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
expr_of() { java -cp "$BENCH_JAR" com.dbmetrics.bench.ViewQueries "$1" "$2" connections; }
PROM_INSTANT="($(expr_of pg-demo-1 postgresql)) or ($(expr_of redis-demo-1 redis)) or ($(expr_of mariadb-demo-1 mysql))"
PROM_RANGE=$(expr_of "$DEMO_DB" postgresql)
API_INSTANT='dbmetrics_connections{project="shop"}'
API_RANGE="dbmetrics_connections{database_id=\"$DEMO_DB\"}"
enc() { jq -rn --arg v "$1" '$v | @uri'; }
now=$(date +%s)
RANGE_ARGS="start=$((now - 3600))&end=$now&step=$INTERVAL_S"
P_INSTANT="$PROMETHEUS_URL/api/v1/query?query=$(enc "$PROM_INSTANT")"
P_RANGE="$PROMETHEUS_URL/api/v1/query_range?query=$(enc "$PROM_RANGE")&$RANGE_ARGS"
A_INSTANT="http://127.0.0.1:$API/prometheus/api/v1/query?query=$(enc "$API_INSTANT")"
A_RANGE="http://127.0.0.1:$API/prometheus/api/v1/query_range?query=$(enc "$API_RANGE")&$RANGE_ARGS"
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
for url in "$A_INSTANT" "$A_RANGE"; do wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$url" "$AUTH" >/dev/null; done
for url in "$P_INSTANT" "$P_RANGE"; do wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$url" "$PROM_AUTH" >/dev/null; done
wrk_run "$CONNECTIONS" "$WARMUP_SECONDS" "$PLAIN_URL" >/dev/null
# wrk's requests/s counts every answer; only 2xx answers count here (the API's overload guard answers 503 at once)
ok_rate() { awk -v r="$1" -v e="$2" -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.0f", r - e / s }'; } # RPS ERRORS
PI=() PI99=() AI=() AI99=() PR=() PR99=() AR=() AR99=() PL=() PL99=()
LP50=() LP99=() LA50=() LA99=() ERR_P=0 ERR_A=0
for _ in $(seq 1 "$REPEATS"); do
  read -r rps _ p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$P_INSTANT" "$PROM_AUTH")"; PI+=("$(ok_rate "$rps" "$err")") PI99+=("$p99"); ERR_P=$((ERR_P + err))
  read -r rps _ p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$A_INSTANT" "$AUTH")"; AI+=("$(ok_rate "$rps" "$err")") AI99+=("$p99"); ERR_A=$((ERR_A + err))
  read -r rps _ p99 _ <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$PLAIN_URL")"; PL+=("$rps") PL99+=("$p99")
  read -r rps _ p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$P_RANGE" "$PROM_AUTH")"; PR+=("$(ok_rate "$rps" "$err")") PR99+=("$p99"); ERR_P=$((ERR_P + err))
  read -r rps _ p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$A_RANGE" "$AUTH")"; AR+=("$(ok_rate "$rps" "$err")") AR99+=("$p99"); ERR_A=$((ERR_A + err))
  # latency without queueing: few connections, neither server saturated
  read -r _ p50 p99 err <<<"$(wrk_run "$LOW_CONNECTIONS" "$SECONDS_PER_RUN" "$P_INSTANT" "$PROM_AUTH")"; LP50+=("$p50") LP99+=("$p99"); ERR_P=$((ERR_P + err))
  read -r _ p50 p99 err <<<"$(wrk_run "$LOW_CONNECTIONS" "$SECONDS_PER_RUN" "$A_INSTANT" "$AUTH")"; LA50+=("$p50") LA99+=("$p99"); ERR_A=$((ERR_A + err))
done
read -r pl _ <<<"$(stats "${PL[@]}")"
read -r lp99 _ <<<"$(stats "${LP99[@]}")"
read -r la99 _ <<<"$(stats "${LA99[@]}")"
read -r pi _ <<<"$(stats "${PI[@]}")"
read -r ai _ <<<"$(stats "${AI[@]}")"
read -r pr _ <<<"$(stats "${PR[@]}")"
read -r ar _ <<<"$(stats "${AR[@]}")"
read -r pi99 _ <<<"$(stats "${PI99[@]}")"
read -r ai99 _ <<<"$(stats "${AI99[@]}")"

emit "\`wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s\` (and \`-c$LOW_CONNECTIONS\` for the latency rows), $REPEATS runs of" \
  "each interleaved after ${WARMUP_SECONDS} s of the same load on each query, median [min–max]; one API instance" \
  "(\`java -Xmx$API_HEAP\`), Prometheus and wrk on the same 2 cores as the whole stack. Non-2xx and socket errors over" \
  "every run: Prometheus $ERR_P, API $ERR_A (the API's are its overload guard's immediate 503s while wrk's" \
  "$CONNECTIONS connections queue on 2 cores); the rates count 2xx answers only."
emit ""
emit "| query | series / points | 2xx answers/s (-c$CONNECTIONS) | p99 ms (-c$CONNECTIONS) |"
emit "|---|---|---|---|"
emit "| baseline: plain Javalin, the API's instant answer's bytes | – | $(fmt_stats %.0f "${PL[@]}") | $(fmt_stats %.2f "${PL99[@]}") |"
emit "| Prometheus instant: connections of the 3 demo databases (the poller's expressions joined with \`or\`) | $p_series series | $(fmt_stats %.0f "${PI[@]}") | $(fmt_stats %.2f "${PI99[@]}") |"
emit "| API instant: \`$API_INSTANT\` | $a_series series | $(fmt_stats %.0f "${AI[@]}") | $(fmt_stats %.2f "${AI99[@]}") |"
emit "| Prometheus \`query_range\`, last hour, step ${INTERVAL_S}s: the poller's connections expression of $DEMO_DB | $p_points points | $(fmt_stats %.0f "${PR[@]}") | $(fmt_stats %.2f "${PR99[@]}") |"
emit "| API \`query_range\`, same hour and step: \`$API_RANGE\` | $a_points points | $(fmt_stats %.0f "${AR[@]}") | $(fmt_stats %.2f "${AR99[@]}") |"
emit ""
emit "| instant query with $LOW_CONNECTIONS connections | p50 ms | p99 ms |"
emit "|---|---|---|"
emit "| Prometheus | $(fmt_stats %.2f "${LP50[@]}") | $(fmt_stats %.2f "${LP99[@]}") |"
emit "| API | $(fmt_stats %.2f "${LA50[@]}") | $(fmt_stats %.2f "${LA99[@]}") |"
emit ""
emit "Instant: API ÷ Prometheus queries/s = **$(ratio "$ai" "$pi")×** (goal ≥ 10×; the plain endpoint's ceiling on this" \
  "machine in the same run is $(ratio "$pl" "$pi")× Prometheus'); Prometheus p99 ÷ API p99 = **$(ratio "$lp99" "$la99")×**" \
  "with $LOW_CONNECTIONS connections, $(ratio "$pi99" "$ai99")× with $CONNECTIONS (goal ≥ 10×). Range over the last hour:" \
  "API ÷ Prometheus queries/s = **$(ratio "$ar" "$pr")×** (goal ≥ 10×). The API's range answer has fewer points" \
  "when the history holds less than the hour (it starts when the streams-app first saw the database)."
