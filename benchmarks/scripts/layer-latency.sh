#!/usr/bin/env bash
# Latency of the query API per layer (L1, L2, IQ), each next to its baseline, measured in the same run.
#
#   ./dbm up && benchmarks/scripts/layer-latency.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs the stack of `./dbm up` (its Redis, streams-app and the demo database pg-demo-1) and wrk. Starts, with the
# helpers of benchmarks/scenarios/lib.sh, query-api instances configured so that every request is answered by one
# layer, with rate limits high enough never to refuse (their cost is included):
#   L1  METRICS_CACHE_MEMORY_TTL=10m                  every request after the first is an L1 hit
#   L2  METRICS_CACHE_MEMORY_TTL=1ms                  L1 always expired: Redis fresh key
#   IQ  REDIS_URL = an empty redis-server of its own  Redis has nothing: interactive query to the streams-app
# Baselines, same run, same wrk settings: a plain Javalin endpoint returning the same bytes (no auth, no limits, no
# cache: the ceiling of this machine), and the streams-app's own IQ endpoint.
# Prints a markdown table; BENCHMARKS.md holds the results of 2026-11-25 and this command.
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"

DURATION=${1:-10}
CONNECTIONS=${2:-8}
AUTH="Authorization: Bearer $TOKEN"
curl -fsS -H "$AUTH" "$API_URL$DEMO_PATH" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")

EMPTY_REDIS_PORT=$(free_port)
redis-server --port "$EMPTY_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  >"$WORK/redis.log" 2>&1 &
echo $! >"$WORK/empty-redis.pid"
sleep 0.5

L1=$(start_api l1 METRICS_CACHE_MEMORY_TTL=10m)
L2=$(start_api l2 METRICS_CACHE_MEMORY_TTL=1ms)
IQ=$(start_api iq METRICS_CACHE_MEMORY_TTL=1ms REDIS_URL="redis://127.0.0.1:$EMPTY_REDIS_PORT" "${PLAIN_REDIS_ENV[@]}")

row() { # label url [header]
  read -r rps p50 p99 err <<<"$(wrk_run "$CONNECTIONS" "$DURATION" "$2" "${3:-$AUTH}")"
  printf '| %s | %s | %s ms | %s ms | %s |\n' "$1" "$rps" "$p50" "$p99" "$err"
}

# warm up every JVM (JIT) before measuring
for port in "$PLAIN" "$L1" "$L2" "$IQ"; do
  wrk_run "$CONNECTIONS" 3 "http://127.0.0.1:$port$DEMO_PATH" "$AUTH" >/dev/null
done

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency; $(nproc) cores; $(date -u +%FT%TZ)"
echo
echo "| what | req/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
row "baseline: plain Javalin, same bytes" "http://127.0.0.1:$PLAIN$DEMO_PATH"
row "API, L1 hit (auth + rate limit + Caffeine)" "http://127.0.0.1:$L1$DEMO_PATH"
row "API, L2 (Redis fresh key)" "http://127.0.0.1:$L2$DEMO_PATH"
row "baseline: streams-app IQ endpoint directly" "$IQ_URL/internal/v1/snapshots/$DEMO_DB" "$IQ_AUTH"
row "API, IQ (Redis empty -> streams-app)" "http://127.0.0.1:$IQ$DEMO_PATH"
echo
echo "layer check (X-Cache of one request each): $(layer_of "$L1" "$DEMO_PATH") $(layer_of "$L2" "$DEMO_PATH")" \
  "$(layer_of "$IQ" "$DEMO_PATH")"
