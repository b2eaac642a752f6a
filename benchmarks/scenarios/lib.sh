# shellcheck shell=bash
# Shared by the scenarios of benchmarks/scenarios/ (sourced, not run). A scenario runs from the repository root under
# `./dbm bench NAME`, against the stack of `./dbm up`, and writes its markdown result with `emit` (to $DBM_BENCH_OUT,
# which ./dbm bench puts into BENCHMARKS.md, and to stdout).
#
# Conventions every scenario follows (issue 6): the baseline is measured in the same run; every measurement is
# repeated REPEATS times (default 3, interleaved with its baseline so drift hits both) and reported as median [min–max];
# rate limits stay on, configured high enough never to refuse (their cost is measured, their rejections are not).
# The variables set here are read by the scenarios that source this file:
# shellcheck disable=SC2034
set -euo pipefail

REPEATS=${REPEATS:-3}
DBM_BENCH_OUT=${DBM_BENCH_OUT:-/dev/null}
: >"$DBM_BENCH_OUT"
BENCH_JAR=benchmarks/target/dbmetrics-benchmarks.jar
API_JAR=${API_JAR:-query-api/target/dbmetrics-query-api.jar}
STATUS=$(./dbm status --json)
REDIS_URL=$(jq -r '.components.redis.url' <<<"$STATUS")
IQ_URL=$(jq -r '.components.streams.url' <<<"$STATUS")
API_URL=$(jq -r '.components.api.url' <<<"$STATUS")
PROMETHEUS_URL=$(jq -r '.components.prometheus.url' <<<"$STATUS")
KAFKA_BOOTSTRAP=$(jq -r '.components.kafka.bootstrap' <<<"$STATUS")
# The up stack is secured (./dbm status --json names the files, tools/dbm/secrets.sh lays them out): the CA, the
# operator's Prometheus user, the API's Redis user, the internal API's token, Kafka client properties per principal.
CA_FILE=$(jq -r '.components.redis.ca_file' <<<"$STATUS")
SECRETS_DIR=$(dirname "$CA_FILE")
KAFKA_CONFIG_DIR=$SECRETS_DIR/kafka
PROMETHEUS_USER=$(jq -r '.components.prometheus.username' <<<"$STATUS")
PROMETHEUS_PASSWORD_FILE=$(jq -r '.components.prometheus.password_file' <<<"$STATUS")
IQ_TOKEN_FILE=$SECRETS_DIR/streams-iq.token
IQ_AUTH="Authorization: Bearer $(<"$IQ_TOKEN_FILE")"
# what an API started here needs beside REDIS_URL to reach the up stack's Redis and streams-app (as `./dbm up` starts it)
API_SECURITY_ENV=(REDIS_USERNAME=api "REDIS_PASSWORD_FILE=$SECRETS_DIR/redis-api.password" "REDIS_CA_FILE=$CA_FILE"
                  "STREAMS_IQ_TOKEN_FILE=$IQ_TOKEN_FILE")
# overrides for an API pointed at a plain, passwordless redis-server of a scenario's own
PLAIN_REDIS_ENV=(REDIS_USERNAME= REDIS_PASSWORD_FILE= REDIS_CA_FILE=)
POLLER_URL=$(jq -r '.components.poller.url' <<<"$STATUS")
[ "$(jq -r '.components.api.running' <<<"$STATUS")" = true ] || { echo "run ./dbm up first" >&2; exit 1; }
SECRET=$(cat .dbm/dev-jwt-secret)
DEMO_DB=pg-demo-1
DEMO_PATH="/api/v1/domain/acme/project/shop/databases/$DEMO_DB/metrics"
TOKEN=$(./dbm token --user bench --tenant acme/shop)
WORK=$(mktemp -d)
# Limits on in every scenario, high enough never to refuse at the rates measured here.
HIGH_LIMITS=(METRICS_RATE_LIMIT_PER_USER=100000000 METRICS_RATE_LIMIT_PER_DB=100000000
             METRICS_RATE_LIMIT_GLOBAL=100000000)
# The API's default limits (ApiConfig), for scenarios that measure the limiter as shipped: with HIGH_LIMITS a lease is
# 1000 permits (one Redis round trip per 1000 requests of a user), with these 2 (per user 100/min: limit / 50), so
# the limiter's cost per user shows. Passed after HIGH_LIMITS to start_api, they override them.
DEFAULT_LIMITS=(METRICS_RATE_LIMIT_PER_USER=100 METRICS_RATE_LIMIT_PER_DB=1000 METRICS_RATE_LIMIT_GLOBAL=0)
# The API JVM's heap (start_api) and a command put before its `java` (e.g. API_CMD_PREFIX="taskset -c 1" to pin it to
# one core); a scenario sets them before calling start_api. ./dbm up gives the api 256m (tools/dbm/common.sh APPS).
API_HEAP=${API_HEAP:-512m}
API_CMD_PREFIX=${API_CMD_PREFIX:-}

bench_cleanup() {
  local p
  while read -r p; do kill "$p" 2>/dev/null || true; done < <(cat "$WORK"/*.pid 2>/dev/null)
  sleep 0.3
  while read -r p; do kill -9 "$p" 2>/dev/null || true; done < <(cat "$WORK"/*.pid 2>/dev/null)
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

emit() { printf '%s\n' "$*" | tee -a "$DBM_BENCH_OUT"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [SECONDS]: until URL answers 2xx (30 s at most by default)
wait_http() {
  local _
  for _ in $(seq 1 $(( ${2:-30} * 5 ))); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  exit 1
}

# start_api NAME [VAR=VALUE ...] -> prints the API port. The real query-api jar against the up stack's Redis and
# streams-app, authentication on, the high limits above; extra variables override (e.g. METRICS_CACHE_MEMORY_TTL=1ms).
# Heap API_HEAP, all of it committed at start, and the JVM options of query-api/jvm.options, as ./dbm up runs the api
# (decision 33). Started through API_CMD_PREFIX when set (it must exec java, as taskset and env do, so the pid in
# $WORK/api-NAME.pid is the JVM's); the management port goes to $WORK/api-NAME.mport.
start_api() {
  local name=$1 port mport prefix=()
  shift
  read -ra prefix <<<"$API_CMD_PREFIX"
  port=$(free_port)
  mport=$(free_port)
  env REDIS_URL="$REDIS_URL" "${API_SECURITY_ENV[@]}" STREAMS_IQ_URLS="$IQ_URL" AUTH_JWT_SECRET="$SECRET" \
      API_PORT="$port" API_MANAGEMENT_PORT="$mport" METRICS_POLL_INTERVAL=5s "${HIGH_LIMITS[@]}" "$@" \
      "${prefix[@]}" java "-Xms$API_HEAP" "-Xmx$API_HEAP" @query-api/jvm.options -jar "$API_JAR" >"$WORK/api-$name.log" 2>&1 &
  echo $! >"$WORK/api-$name.pid"
  echo "$mport" >"$WORK/api-$name.mport"
  # ready: the API has warmed up (load.Warmup, up to API_WARMUP_MAX_TIME, 30 s) as it does before a load balancer
  # sends it traffic
  wait_http "http://127.0.0.1:$port/readyz" 90
  echo "$port"
}

# stop_api NAME: stops the API that start_api NAME started (TERM, then KILL after 10 s) and waits until it is gone
stop_api() {
  local pid _
  pid=$(<"$WORK/api-$1.pid")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# heap_after_gc PID -> bytes of Java heap in use right after a full collection (jcmd GC.run, then GC.heap_info): what
# the process really holds, caches included, garbage excluded. Any collector: G1 prints "used 1234K,", ZGC "used 42M,"
# and Shenandoah "1234K used".
heap_after_gc() {
  jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | awk '
    function bytes(v) { sub(/,$/, "", v); u = substr(v, length(v)); n = substr(v, 1, length(v) - 1)
      return n * (u == "G" ? 1073741824 : u == "M" ? 1048576 : 1024) }
    { for (i = 1; i <= NF; i++) if ($i == "used") {
        if ($(i + 1) ~ /^[0-9]+[KMG],?$/) { printf "%d\n", bytes($(i + 1)); exit }
        if (i > 1 && $(i - 1) ~ /^[0-9]+[KMG]$/) { printf "%d\n", bytes($(i - 1)); exit } } }'
}

# start_plain BODY_FILE -> prints the port of a plain Javalin endpoint answering every GET with those bytes (no auth,
# no limits, no cache, no logging): the ceiling of this machine for an HTTP answer of that size. Jetty as the API sets
# it up (query-api ApiServer): listen backlog 4096 (the JDK's 50 drops SYNs when thousands connect at once), no
# per-connection header cache (~96 KB a connection: 10,000 connections would need ~1 GB), the body written straight to
# the response stream (Javalin's result(bytes) copies it through a new 32 KB buffer per response), its heap committed
# at start as the API's is, so the gap to the API is the API's own work.
start_plain() {
  local port
  mkdir -p "$WORK/plain"
  cat >"$WORK/plain/Plain.java" <<'JAVA'
import io.javalin.Javalin;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
public class Plain {
    public static void main(String[] args) throws Exception {
        byte[] body = Files.readAllBytes(Path.of(args[1]));
        int port = Integer.parseInt(args[0]);
        Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheSize(0));
            cfg.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost("127.0.0.1");
                connector.setPort(port);
                connector.setAcceptQueueSize(4096);
                return connector;
            });
            cfg.routes.get("/*", ctx -> {
                ctx.contentType("application/json");
                ctx.outputStream().write(body);
            });
        }).start();
    }
}
JAVA
  javac -cp "$API_JAR" -d "$WORK/plain" "$WORK/plain/Plain.java"
  port=$(free_port)
  java -Xms512m -Xmx512m -cp "$API_JAR:$WORK/plain" Plain "$port" "$1" >"$WORK/plain.log" 2>&1 &
  echo $! >"$WORK/plain.pid"
  wait_http "http://127.0.0.1:$port/"
  echo "$port"
}

# prometheus_get CURL_ARGS... -> curl against the up stack's Prometheus (HTTPS, the operator's basic auth; the
# credentials go to curl on stdin, never on a command line)
prometheus_get() {
  printf 'user = "%s:%s"\n' "$PROMETHEUS_USER" "$(<"$PROMETHEUS_PASSWORD_FILE")" \
    | curl -K - -fsS --cacert "$CA_FILE" "$@"
}

# prometheus_auth_header -> the Authorization header of the operator (for wrk, which takes headers only)
prometheus_auth_header() {
  printf 'Authorization: Basic %s' "$(printf '%s:%s' "$PROMETHEUS_USER" "$(<"$PROMETHEUS_PASSWORD_FILE")" | base64 -w0)"
}

# metric_sum URL REGEX [PRINTF_FORMAT] -> sum of the samples of the series of a /metrics page whose line matches REGEX
# (the up stack's Prometheus itself through prometheus_get)
metric_sum() {
  if [[ $1 == "$PROMETHEUS_URL"* ]]; then prometheus_get --max-time 5 "$1"; else curl -fsS --max-time 5 "$1"; fi | awk -v re="$2" -v f="${3:-%.3f}" '$0 !~ /^#/ && $1 ~ re { s += $NF }
    END { printf f "\n", s }'
}

# raise the open-file limit as far as allowed (thousands of connections)
raise_fd_limit() { ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true; }

# wrk_run CONNECTIONS SECONDS URL [HEADER ...] -> "req/s p50_ms p99_ms errors" (errors: non-2xx/3xx + socket errors);
# with WRK_SCRIPT set, wrk runs that Lua script (e.g. one that makes each request's target)
wrk_run() {
  local c=$1 d=$2 url=$3 out threads=2
  shift 3
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  ((c >= threads)) || threads=$c
  [[ -z ${WRK_SCRIPT:-} ]] || args+=(-s "$WRK_SCRIPT")
  out=$(wrk -t"$threads" -c"$c" -d"$d"s --timeout 10s --latency "${args[@]}" "$url")
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { err += $5 }
    /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, err }' <<<"$out"
}

# cpu_ticks PID -> user + system CPU time of a process so far, in clock ticks (CLK_TCK a second)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# Closed-loop rows: wrk_row ROW PID CONNECTIONS URL [HEADER ...] runs wrk_run for SECONDS_PER_RUN seconds and adds
# to the repeats of ROW in W: rate (2xx answers/s: wrk's rate less its non-2xx and socket errors, such as an overload
# guard's immediate 503s), answers (every answer a second, 2xx or not), p50 and p99 (ms), errors (the runs' sum), and
# cpu_us / cpu_answer_us: the server process PID's user + system CPU microseconds per 2xx answer / per answer over the
# run (PID "-": not measured). wrk's own CPU, on the same cores, is not in it.
declare -A W
# cpu_per TICKS RATE -> CPU microseconds per answer: TICKS of CPU over SECONDS_PER_RUN seconds at RATE answers a second
cpu_per() {
  awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" -v s="$SECONDS_PER_RUN" \
    'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / (n * s) : 0) }'
}
wrk_row() {
  local row=$1 pid=$2 c=$3 url=$4 rps p50 p99 err t0 t1 ok
  shift 4
  [[ $pid == - ]] || t0=$(cpu_ticks "$pid")
  read -r rps p50 p99 err <<<"$(wrk_run "$c" "$SECONDS_PER_RUN" "$url" "$@")"
  [[ $pid == - ]] || t1=$(cpu_ticks "$pid")
  ok=$(awk -v r="$rps" -v e="$err" -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.0f", r - e / s }')
  W[$row,rate]="${W[$row,rate]:-} $ok" W[$row,p50]="${W[$row,p50]:-} $p50" W[$row,p99]="${W[$row,p99]:-} $p99"
  W[$row,answers]="${W[$row,answers]:-} $rps" W[$row,errors]=$((${W[$row,errors]:-0} + err))
  [[ $pid == - ]] || W[$row,cpu_us]="${W[$row,cpu_us]:-} $(cpu_per "$((t1 - t0))" "$ok")" \
    W[$row,cpu_answer_us]="${W[$row,cpu_answer_us]:-} $(cpu_per "$((t1 - t0))" "$rps")"
}
# w_med ROW METRIC -> the median of ROW's repeats; w_cell ROW METRIC FORMAT -> "median [min–max]", or "–" if unmeasured;
# w_ratio ROW1 ROW2 METRIC -> ROW1's median ÷ ROW2's
w_med() { local v; read -ra v <<<"${W[$1,$2]}"; read -r m _ <<<"$(stats "${v[@]}")"; echo "$m"; }
w_ratio() { ratio "$(w_med "$1" "$3")" "$(w_med "$2" "$3")"; }
# w_row ROW -> "| 2xx answers/s | p99 ms | server CPU µs per answer |", each "median [min–max]": a table row's end
w_row() { echo "| $(w_cell "$1" rate %.0f) | $(w_cell "$1" p99 %.2f) | $(w_cell "$1" cpu_us %.1f) |"; }
w_cell() {
  local v
  read -ra v <<<"${W[$1,$2]:-}"
  if ((${#v[@]} == 0)); then echo "–"; else fmt_stats "$3" "${v[@]}"; fi
}

# stats NUMBER... -> "median min max"
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", m, v[1], v[NR] }'
}

# fmt_stats FORMAT NUMBER... -> "median [min–max]" with printf FORMAT for each number, e.g. fmt_stats %.0f 1 2 3
fmt_stats() {
  local f=$1
  shift
  read -r m lo hi <<<"$(stats "$@")"
  # shellcheck disable=SC2059 # FORMAT is the caller's printf format, on purpose
  printf "$f [$f–$f]" "$m" "$lo" "$hi"
}

# ratio A B -> A / B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# layer_of PORT PATH -> the X-Cache header of one authenticated request (proves which layer answers)
layer_of() {
  curl -s -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1$2" | tr -d '\r' \
    | awk -F': ' 'tolower($1) == "x-cache" { print $2 }'
}
