#!/usr/bin/env bash
# Latency of the query API per layer (L1, L2, IQ), each next to its baseline, measured in the same run.
#
#   ./dbm up && benchmarks/scripts/layer-latency.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs the stack of `./dbm up` (its Redis, streams-app and the demo database pg-demo-1) and wrk. Starts, on free
# ports, query-api instances configured so that every request is answered by one layer, with rate limits high
# enough never to refuse (their cost is included):
#   L1  METRICS_CACHE_MEMORY_TTL=10m                  every request after the first is an L1 hit
#   L2  METRICS_CACHE_MEMORY_TTL=1ms                  L1 always expired: Redis fresh key
#   IQ  REDIS_URL = an empty redis-server of its own  Redis has nothing: interactive query to the streams-app
# Baselines, same run, same wrk settings: a plain Javalin endpoint returning the same bytes (no auth, no limits, no
# cache: the ceiling of this machine), and the streams-app's own IQ endpoint.
# Prints a markdown table; BENCHMARKS.md holds the latest results and the exact command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

DURATION=${1:-10}
CONNECTIONS=${2:-8}
DB=pg-demo-1
PATH_METRICS="/api/v1/domain/acme/project/shop/databases/$DB/metrics"
JAR=query-api/target/dbmetrics-query-api.jar
STATUS=$(./dbm status --json)
REDIS_URL=$(jq -r '.components.redis.url' <<<"$STATUS")
IQ_URL=$(jq -r '.components.streams.url' <<<"$STATUS")
[ "$(jq -r '.components.api.running' <<<"$STATUS")" = true ] || { echo "run ./dbm up first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
SECRET=$(cat .dbm/dev-jwt-secret)
TOKEN=$(./dbm token --user bench --tenant acme/shop)
WORK=$(mktemp -d)
PIDS=()
# start_api runs in a command substitution (a subshell), so its pids go to files, not to PIDS
cleanup() {
  for p in "${PIDS[@]}" $(cat "$WORK"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }

start_api() { # name ttl redis_url -> port
  local port mport
  port=$(free_port); mport=$(free_port)
  env REDIS_URL="$3" STREAMS_IQ_URLS="$IQ_URL" AUTH_JWT_SECRET="$SECRET" API_PORT="$port" API_MANAGEMENT_PORT="$mport" \
      METRICS_CACHE_MEMORY_TTL="$2" METRICS_RATE_LIMIT_PER_USER=100000000 METRICS_RATE_LIMIT_PER_DB=100000000 \
      METRICS_POLL_INTERVAL=5s java -Xmx256m -jar "$JAR" >"$WORK/api-$1.log" 2>&1 &
  echo $! >"$WORK/api-$1.pid"
  wait_http "http://127.0.0.1:$port/healthz"
  echo "$port"
}

# a plain Javalin endpoint returning the same bytes: the baseline (jshell-free: a tiny class compiled against the jar)
BODY=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$(jq -r '.components.api.url' <<<"$STATUS" | sed 's/.*://')$PATH_METRICS")
printf '%s' "$BODY" >"$WORK/body.json"
mkdir -p "$WORK/plain"
cat >"$WORK/plain/Plain.java" <<'JAVA'
import io.javalin.Javalin;
import java.nio.file.Files;
import java.nio.file.Path;
public class Plain {
    public static void main(String[] args) throws Exception {
        byte[] body = Files.readAllBytes(Path.of(args[1]));
        Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.routes.get("/*", ctx -> ctx.contentType("application/json").result(body));
        }).start("127.0.0.1", Integer.parseInt(args[0]));
    }
}
JAVA
javac -cp "$JAR" -d "$WORK/plain" "$WORK/plain/Plain.java"
PLAIN_PORT=$(free_port)
java -Xmx256m -cp "$JAR:$WORK/plain" Plain "$PLAIN_PORT" "$WORK/body.json" >"$WORK/plain.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PLAIN_PORT/"

EMPTY_REDIS_PORT=$(free_port)
redis-server --port "$EMPTY_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
sleep 0.5

L1=$(start_api l1 10m "$REDIS_URL")
L2=$(start_api l2 1ms "$REDIS_URL")
IQ=$(start_api iq 1ms "redis://127.0.0.1:$EMPTY_REDIS_PORT")

run() { # label url [auth]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s --latency -H "Authorization: Bearer $TOKEN" "$2")
  else
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s --latency "$2")
  fi
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

# warm up every JVM (JIT) before measuring
for u in "http://127.0.0.1:$PLAIN_PORT$PATH_METRICS" "http://127.0.0.1:$L1$PATH_METRICS" \
         "http://127.0.0.1:$L2$PATH_METRICS" "http://127.0.0.1:$IQ$PATH_METRICS"; do
  wrk -t2 -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $TOKEN" "$u" >/dev/null
done

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency; $(nproc) cores; $(date -u +%FT%TZ)"
echo
echo "| what | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run "baseline: plain Javalin, same bytes" "http://127.0.0.1:$PLAIN_PORT$PATH_METRICS"
run "API, L1 hit (auth + rate limit + Caffeine)" "http://127.0.0.1:$L1$PATH_METRICS" auth
run "API, L2 (Redis fresh key)" "http://127.0.0.1:$L2$PATH_METRICS" auth
run "baseline: streams-app IQ endpoint directly" "$IQ_URL/internal/v1/snapshots/$DB"
run "API, IQ (Redis empty -> streams-app)" "http://127.0.0.1:$IQ$PATH_METRICS" auth
echo
echo "layer check (X-Cache of one request each):" \
  "$(curl -s -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$L1$PATH_METRICS" | tr -d '\r' | awk -F': ' '/X-Cache/ {print $2}')" \
  "$(curl -s -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$L2$PATH_METRICS" | tr -d '\r' | awk -F': ' '/X-Cache/ {print $2}')" \
  "$(curl -s -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$IQ$PATH_METRICS" | tr -d '\r' | awk -F': ' '/X-Cache/ {print $2}')"
