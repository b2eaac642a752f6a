#!/usr/bin/env bash
# Scenario 8 (issue 12): the cost of security. Every figure of the secured `./dbm up` stack next to its plaintext twin,
# measured in the same run on the same machine, interleaved (plaintext and secured take turns, the order alternating
# by repeat), REPEATS times, median [min–max].
#
#   ./dbm bench security     env: REPEATS (3), SECONDS_PER_RUN (10), CONNECTIONS (64), CEILING_SNAPSHOTS (500000),
#                                 CEILING_DATABASES (50000), VISIBILITY_RATE (1000/s), VISIBILITY_SECONDS (15)
#
# Read path: query-api instances (the real jar, JWT and rate limits on, limits high enough never to refuse), each
# against the stack's Redis (rediss://, ACL user api) or a throwaway plaintext redis-server of this scenario (same
# flags but TLS and ACL; the demo database's snapshot keys copied into it from the stack's Redis every second with
# MIGRATE COPY, their TTLs kept), both with the stack's streams-app behind them (internal API with its token):
#   L1  default L1 TTL (5 s; one Redis read per half TTL, rate-limit leases from Redis): the ceiling scenario's path
#   L2  METRICS_CACHE_MEMORY_TTL=1ms: every request reads Redis' fresh key
#   IQ  an empty Redis database: every request reaches the streams-app's internal API. It has no plaintext twin any
#       more (the token is required), so it stands beside the secured API's own L1 as context.
# Write path: the stack's broker (SASL_SSL, SCRAM-SHA-512, ACLs; the admin principal, which may create topics) with a
# throwaway TLS Redis configured as the stack's (its certificate, ACL file and flags; the admin user, which may
# FLUSHALL and set keyspace notifications) versus a throwaway plaintext KRaft broker (the stack's broker settings
# without security, its JVM flags, jars of .dbm/kafka-libs) with the plaintext redis-server:
#   StreamsThroughputBench  the streams-app's ceiling (ours-eos-20ms-2t, the defaults) from a pre-filled topic, and
#                           the fill itself (the poller's producer settings: acks=all, lz4, 20 ms linger)
#   VisibilityBench         produce → the streams-app → Redis, open loop at VISIBILITY_RATE, the same variant
# The benchmark classes read the shared client variables (KafkaClientSettings, RedisEndpoint), so one class serves both
# twins; every throwaway process is stopped when the scenario ends, also on failure (lib.sh's trap).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-64}
CEILING_SNAPSHOTS=${CEILING_SNAPSHOTS:-500000}
CEILING_DATABASES=${CEILING_DATABASES:-50000}
VISIBILITY_RATE=${VISIBILITY_RATE:-1000}
VISIBILITY_SECONDS=${VISIBILITY_SECONDS:-15}
VARIANT=ours-eos-20ms-2t
KAFKA_LIBS=.dbm/kafka-libs
STACK_ACL_FILE=$(dirname "$SECRETS_DIR")/data/redis/users.acl
REDIS_ADMIN_PASSWORD_FILE=$SECRETS_DIR/redis-admin.password
AUTH="Authorization: Bearer $TOKEN"
SCENARIO_START=$(date +%s)
raise_fd_limit

command -v redis-server >/dev/null || { echo "redis-server is missing" >&2; exit 1; }
[[ -d $KAFKA_LIBS ]] || { echo "no Kafka jars in $KAFKA_LIBS (./dbm up resolves them)" >&2; exit 1; }
[[ -r $STACK_ACL_FILE ]] || { echo "no ACL file of the stack's Redis at $STACK_ACL_FILE" >&2; exit 1; }

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT
wait_port() {
  local _
  for _ in $(seq 1 $(($2 * 5))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2
  exit 1
}

# start_redis NAME PORT [ARG...]: a throwaway redis-server with the stack's cache flags (tools/dbm/redis.sh)
start_redis() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$WORK/$name"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --maxmemory 256mb \
    --maxmemory-policy allkeys-lru --dir "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}

# secured_redis_cli PORT ARG...: redis-cli over TLS as the admin user (the password through the environment)
secured_redis_cli() {
  local port=$1
  shift
  REDISCLI_AUTH=$(<"$REDIS_ADMIN_PASSWORD_FILE") redis-cli --no-auth-warning --tls --cacert "$CA_FILE" -h 127.0.0.1 \
    -p "$port" --user admin "$@"
}

# start_plain_kafka: the stack's broker settings (tools/dbm/templates/kafka/server.properties) without security, on
# free loopback ports, the stack's JVM flags (tools/dbm/kafka.sh); prints its bootstrap address
start_plain_kafka() {
  local dir=$WORK/kafka port controller cluster_id
  port=$(free_port)
  controller=$(free_port)
  mkdir -p "$dir"
  cat >"$dir/server.properties" <<EOF
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$dir/kraft-logs
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  sed 's/[$]{ROOT_LEVEL}/WARN/' tools/dbm/templates/kafka/log4j2.properties >"$dir/log4j2.properties"
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | sed 's/^-/A/')
  java -Xmx256m -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool \
    format -t "$cluster_id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
    || { cat "$dir/format.log" >&2; exit 1; }
  java -Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$dir" -cp "$KAFKA_LIBS/*" kafka.Kafka \
    "$dir/server.properties" >"$WORK/kafka.log" 2>&1 &
  echo $! >"$WORK/kafka.pid"
  wait_port "$port" 60
  echo "127.0.0.1:$port"
}

# twin_order REPEAT -> "plain secured" or "secured plain": the order alternates by repeat
twin_order() { if (($1 % 2)); then echo "plain secured"; else echo "secured plain"; fi; }

# The measurements are kept as space-separated lists, one per cell (associative arrays of strings).
# med "N N N" -> the median; spread FORMAT "N N N" -> "median [min–max]"
med() { local v; read -ra v <<<"$1"; stats "${v[@]}" | awk '{print $1}'; }
spread() { local v; read -ra v <<<"$2"; fmt_stats "$1" "${v[@]}"; }

# row WHAT MEASURE FORMAT "PLAIN..." "SECURED..." [NOTE] -> a table row: medians [spreads], secured ÷ plaintext
row() {
  emit "| $1 | $2 | $(spread "$3" "$4") | $(spread "$3" "$5") | **$(ratio "$(med "$5")" "$(med "$4")")** | ${6:-} |"
}

# verdict RATIO GOAL -> met / missed
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r >= g ? "met" : "missed") }'; }

# ---------------------------------------------------------------------------------------------------------------------
# Read path
PLAIN_REDIS_PORT=$(free_port)
start_redis plain-redis "$PLAIN_REDIS_PORT"
wait_port "$PLAIN_REDIS_PORT" 20
PLAIN_REDIS_URL="redis://127.0.0.1:$PLAIN_REDIS_PORT"
STACK_REDIS_PORT=${REDIS_URL##*:}
DEMO_KEYS=("dbm:{$DEMO_DB}:fresh" "dbm:{$DEMO_DB}:stale" "dbm:{$DEMO_DB}:ts")
copy_demo_keys() { # the stack's Redis sends them to the plaintext one (MIGRATE COPY REPLACE keeps their TTLs)
  secured_redis_cli "$STACK_REDIS_PORT" MIGRATE 127.0.0.1 "$PLAIN_REDIS_PORT" "" 0 5000 COPY REPLACE \
    KEYS "${DEMO_KEYS[@]}"
}
[[ $(copy_demo_keys) == OK ]] || { echo "could not copy ${DEMO_KEYS[*]} into the plaintext Redis" >&2; exit 1; }
(while sleep 1; do copy_demo_keys >/dev/null 2>&1 || true; done) &
echo $! >"$WORK/copy-demo-keys.pid"

PLAIN_API_ENV=(REDIS_URL="$PLAIN_REDIS_URL" "${PLAIN_REDIS_ENV[@]}")
declare -A API
API[secured-L1]=$(start_api secured-l1)
API[plain-L1]=$(start_api plain-l1 "${PLAIN_API_ENV[@]}")
API[secured-L2]=$(start_api secured-l2 METRICS_CACHE_MEMORY_TTL=1ms)
API[plain-L2]=$(start_api plain-l2 METRICS_CACHE_MEMORY_TTL=1ms "${PLAIN_API_ENV[@]}")
# Redis database 1 of the plaintext server is empty: every read goes on to the streams-app
API[IQ]=$(start_api iq METRICS_CACHE_MEMORY_TTL=1ms "${PLAIN_API_ENV[@]}" REDIS_URL="$PLAIN_REDIS_URL/1")
IQ_DIRECT="$IQ_URL/internal/v1/snapshots/$DEMO_DB"

url_of() { echo "http://127.0.0.1:${API[$1]}$DEMO_PATH"; }
for key in secured-L1 plain-L1 secured-L2 plain-L2 IQ; do # each JVM's JIT warmed up, not counted
  wrk_run "$CONNECTIONS" 5 "$(url_of "$key")" "$AUTH" >/dev/null
done
wrk_run "$CONNECTIONS" 5 "$IQ_DIRECT" "$IQ_AUTH" >/dev/null
LAYERS=""
for key in secured-L1 plain-L1 secured-L2 plain-L2 IQ; do
  want=${key#*-}
  layer_of "${API[$key]}" "$DEMO_PATH" >/dev/null # an L1 entry may have expired during the other warm-ups
  got=$(layer_of "${API[$key]}" "$DEMO_PATH")
  [[ $got == "$want" ]] || { echo "the API '$key' answers from '$got', not $want" >&2; exit 1; }
  LAYERS+="${LAYERS:+, }$key: \`X-Cache: $got\`"
done

declare -A RPS P50 P99 ERR
measure_read() { # KEY URL HEADER: one wrk run, appended to the KEY's lists
  local rps p50 p99 err
  read -r rps p50 p99 err <<<"$(wrk_run "$CONNECTIONS" "$SECONDS_PER_RUN" "$2" "$3")"
  RPS[$1]+=" $rps" P50[$1]+=" $p50" P99[$1]+=" $p99" ERR[$1]=$((${ERR[$1]:-0} + err))
}
for r in $(seq 1 "$REPEATS"); do
  for layer in L1 L2; do
    for twin in $(twin_order "$r"); do measure_read "$twin-$layer" "$(url_of "$twin-$layer")" "$AUTH"; done
  done
  measure_read IQ "$(url_of IQ)" "$AUTH"
  measure_read IQ-direct "$IQ_DIRECT" "$IQ_AUTH"
done
stop_started() { # NAME...: stops processes this scenario started ($WORK/NAME.pid) before its end
  local name
  for name in "$@"; do
    kill "$(<"$WORK/$name.pid")" 2>/dev/null || true
    rm -f "$WORK/$name.pid"
  done
}
# the read path's JVMs leave the cores to the write path
stop_started copy-demo-keys api-secured-l1 api-plain-l1 api-secured-l2 api-plain-l2 api-iq
READ_END=$(date +%s)

# ---------------------------------------------------------------------------------------------------------------------
# Write path
SECURED_REDIS_PORT=$(free_port)
# absolute paths: redis-server changes into its --dir before it reads them
start_redis secured-redis 0 --tls-port "$SECURED_REDIS_PORT" --tls-cert-file "$(realpath "$SECRETS_DIR/redis.crt")" \
  --tls-key-file "$(realpath "$SECRETS_DIR/redis.key")" --tls-ca-cert-file "$(realpath "$CA_FILE")" \
  --tls-auth-clients no --aclfile "$(realpath "$STACK_ACL_FILE")"
PLAIN_KAFKA=$(start_plain_kafka)
wait_port "$SECURED_REDIS_PORT" 20
secured_redis_cli "$SECURED_REDIS_PORT" PING >/dev/null
redis-cli -p "$PLAIN_REDIS_PORT" FLUSHALL >/dev/null

# twin_env TWIN -> the variables of the benchmark JVMs for that twin (the other twin's are blanked)
declare -A BOOTSTRAP REDIS_ADDR
BOOTSTRAP[secured]=$KAFKA_BOOTSTRAP BOOTSTRAP[plain]=$PLAIN_KAFKA
REDIS_ADDR[secured]="rediss://127.0.0.1:$SECURED_REDIS_PORT" REDIS_ADDR[plain]=$PLAIN_REDIS_URL
twin_env() {
  if [[ $1 == secured ]]; then
    printf '%s\n' "KAFKA_CLIENT_PROPERTIES_FILE=$KAFKA_CONFIG_DIR/admin.properties" REDIS_USERNAME=admin \
      "REDIS_PASSWORD_FILE=$REDIS_ADMIN_PASSWORD_FILE" "REDIS_CA_FILE=$CA_FILE"
  else
    printf '%s\n' KAFKA_CLIENT_PROPERTIES_FILE= REDIS_USERNAME= REDIS_PASSWORD_FILE= REDIS_CA_FILE=
  fi
  printf '%s\n' KAFKA_SECURITY_PROTOCOL= KAFKA_SASL_USERNAME= KAFKA_SASL_PASSWORD= KAFKA_SASL_PASSWORD_FILE= \
    KAFKA_SASL_JAAS_CONFIG= KAFKA_SASL_JAAS_CONFIG_FILE= KAFKA_SSL_CA_FILE= REDIS_PASSWORD= REDIS_URL=
}
bench_java() { # TWIN HEAP CLASS ARG...: a benchmark class against that twin's Kafka and Redis
  local twin=$1 heap=$2 class=$3 vars
  shift 3
  mapfile -t vars < <(twin_env "$twin")
  env "${vars[@]}" java "-Xmx$heap" -cp "$BENCH_JAR" "com.dbmetrics.bench.$class" "${BOOTSTRAP[$twin]}" \
    "${REDIS_ADDR[$twin]}" "$@"
}

# warm-up, not counted: the fresh broker creates its offsets and transaction-state topics, every JIT warms up
for twin in plain secured; do
  bench_java "$twin" 1g StreamsThroughputBench 20000 2000 1 6 "$VARIANT" >"$WORK/warm-up-$twin.out" 2>&1 \
    || { tail -20 "$WORK/warm-up-$twin.out" >&2; exit 1; }
done
declare -A CEILING FILL VIS50 VIS99 VIS999 NOTIFY99
for r in $(seq 1 "$REPEATS"); do
  for twin in $(twin_order "$r"); do
    out=$WORK/ceiling-$twin-$r.out
    bench_java "$twin" 2g StreamsThroughputBench "$CEILING_SNAPSHOTS" "$CEILING_DATABASES" 1 6 "$VARIANT" \
      >"$out" 2>"$out.err" || { tail -20 "$out.err" >&2; exit 1; }
    CEILING[$twin]+=" $(awk -v v="$VARIANT" '$1 == v && $2 == "run" { gsub(",", "", $4); print $4 }' "$out")"
    FILL[$twin]+=" $(awk '/^filled / { for (i = 1; i <= NF; i++) if ($i == "in") { s = $(i + 1) }
      n = $3; gsub(",", "", n); printf "%.0f", n / s }' "$out")"
    out=$WORK/visibility-$twin-$r.out
    bench_java "$twin" 1g VisibilityBench "$VISIBILITY_RATE" "$VISIBILITY_SECONDS" 10000 "$VARIANT" \
      >"$out" 2>"$out.err" || { tail -20 "$out.err" >&2; exit 1; }
    read -r p50 p99 p999 <<<"$(awk -F'|' '/^\| produce / { print $4, $5, $6 }' "$out")"
    VIS50[$twin]+=" $p50" VIS99[$twin]+=" $p99" VIS999[$twin]+=" $p999"
    NOTIFY99[$twin]+=" $(awk -F'|' '/^\| baseline: / { print $5 + 0 }' "$out")"
  done
done
WRITE_END=$(date +%s)

# ---------------------------------------------------------------------------------------------------------------------
# Result
l1_ratio=$(ratio "$(med "${RPS[secured-L1]}")" "$(med "${RPS[plain-L1]}")")
ceiling_ratio=$(ratio "$(med "${CEILING[secured]}")" "$(med "${CEILING[plain]}")")
of_l1() { echo "$(ratio "$(med "$1")" "$(med "${RPS[secured-L1]}")")× the secured L1"; }
emit "Secured = the \`./dbm up\` stack as it runs (Redis TLS + ACL users, Kafka SASL_SSL SCRAM-SHA-512 + ACLs, internal" \
  "API with its token; for the write path a Redis configured as the stack's); plaintext = a redis-server and a KRaft" \
  "broker of this scenario with the same settings but security, on loopback, started and stopped by it. $REPEATS runs" \
  "per cell, plaintext and secured interleaved (the order alternating by run), median [min–max]; ratio = secured" \
  "median ÷ plaintext median. Servers, load generators and the rest of the stack share the 2 cores."
emit ""
emit "| path | measure | plaintext | secured | secured ÷ plaintext | goal / note |"
emit "|---|---|---|---|---|---|"
row "read: API, L1 hit (auth, limits, leases from Redis), $CONNECTIONS connections" "req/s" %.0f \
  "${RPS[plain-L1]}" "${RPS[secured-L1]}" "≥ 0.95: **$(verdict "$l1_ratio" 0.95)**"
row "read: API, L1 hit" "p99 ms" %.2f "${P99[plain-L1]}" "${P99[secured-L1]}" \
  "p50 $(med "${P50[plain-L1]}") → $(med "${P50[secured-L1]}") ms"
row "read: API, L2 (Redis fresh key on every request)" "req/s" %.0f "${RPS[plain-L2]}" "${RPS[secured-L2]}"
row "read: API, L2" "p99 ms" %.2f "${P99[plain-L2]}" "${P99[secured-L2]}" \
  "p50 $(med "${P50[plain-L2]}") → $(med "${P50[secured-L2]}") ms"
emit "| read: API, IQ (Redis empty → streams-app, token) | req/s | no plaintext twin | $(spread %.0f "${RPS[IQ]}") |" \
  "– | context: $(of_l1 "${RPS[IQ]}"); p99 $(med "${P99[IQ]}") ms |"
emit "| read: streams-app IQ endpoint directly (token) | req/s | no plaintext twin | $(spread %.0f "${RPS[IQ-direct]}") |" \
  "– | context: $(of_l1 "${RPS[IQ-direct]}"); p99 $(med "${P99[IQ-direct]}") ms |"
row "write: streams-app ceiling ($VARIANT) from a pre-filled topic" "snapshots/s" %.0f "${CEILING[plain]}" \
  "${CEILING[secured]}" "≥ 0.8: **$(verdict "$ceiling_ratio" 0.8)**"
row "write: filling that topic (acks=all, lz4, 20 ms linger)" "snapshots/s" %.0f "${FILL[plain]}" "${FILL[secured]}"
row "write: produce → streams-app → Redis, $VISIBILITY_RATE/s open loop" "p99 ms" %.1f "${VIS99[plain]}" \
  "${VIS99[secured]}" "p50 $(med "${VIS50[plain]}") → $(med "${VIS50[secured]}") ms"
row "write: produce → streams-app → Redis" "p99.9 ms" %.1f "${VIS999[plain]}" "${VIS999[secured]}"
row "write: Redis write → keyspace notification (the probe's own path)" "p99 ms" %.2f "${NOTIFY99[plain]}" \
  "${NOTIFY99[secured]}"
emit ""
emit "Errors (non-2xx answers and socket errors, all runs): L1 plaintext/secured ${ERR[plain-L1]}/${ERR[secured-L1]}," \
  "L2 ${ERR[plain-L2]}/${ERR[secured-L2]}, IQ ${ERR[IQ]}, IQ direct ${ERR[IQ-direct]}. Layer check: $LAYERS."
emit ""
emit "Commands: read path \`wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --timeout 10s --latency\` against query-api" \
  "instances (\`java -Xmx512m -jar $API_JAR\`, lib.sh start_api; the plaintext twin with" \
  "\`REDIS_URL=redis://127.0.0.1:PORT\` and no Redis user, password or CA) and the IQ endpoint" \
  "\`$IQ_URL/internal/v1/snapshots/$DEMO_DB\` with the token; write path, once per run and twin," \
  "\`java -cp $BENCH_JAR com.dbmetrics.bench.StreamsThroughputBench BOOTSTRAP REDIS_URL $CEILING_SNAPSHOTS" \
  "$CEILING_DATABASES 1 6 $VARIANT\` ($CEILING_SNAPSHOTS snapshots over $CEILING_DATABASES databases, 6 partitions)" \
  "and \`... VisibilityBench BOOTSTRAP REDIS_URL $VISIBILITY_RATE $VISIBILITY_SECONDS 10000 $VARIANT\` (first 20 %" \
  "warm-up), the secured twin with KAFKA_CLIENT_PROPERTIES_FILE, REDIS_USERNAME, REDIS_PASSWORD_FILE and" \
  "REDIS_CA_FILE of the stack's admin principals, the plaintext one with none. Read path $((READ_END - SCENARIO_START))" \
  "s, write path $((WRITE_END - READ_END)) s."
emit ""
emit "Goals (issue 12): L1 throughput secured ≥ 0.95× plaintext — **$l1_ratio** ($(verdict "$l1_ratio" 0.95));" \
  "write-path ceiling secured ≥ 0.8× plaintext — **$ceiling_ratio** ($(verdict "$ceiling_ratio" 0.8))."
