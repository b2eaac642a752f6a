#!/usr/bin/env bash
# Scenario 5 (issue 6): the write path at scale, then the streams-app's own ceiling.
#
#   ./dbm bench write-path     env: REPEATS (3), WINDOW (60 s), FLEET (10000), LARGER ("20000 40000"),
#                                   CEILING_SNAPSHOTS (1000000), CEILING_DATABASES (100000)
#
# Part 1: the up stack with the fleet simulator at FLEET databases, every one polled every 5 s (the stack's interval):
# poll cycle duration (the poller's own histogram), snapshots/s through the streams-app into Redis (its counters),
# visibility lag dbm-produced-at → written to Redis (PipelineLagProbe: Kafka header vs Redis keyspace notification,
# nothing injected), RSS of every process. Then the larger fleets of LARGER, once each, to find what this machine
# sustains (every tick's cycle shorter than the 5 s interval, no missed tick, the streams-app keeping up).
# Part 2: StreamsThroughputBench: 1M snapshots over 100k databases pre-filled, the real streams-app against a minimal
# upsert + Redis-mirror topology measured in the same run (its own topics and its own Redis: the stack is untouched).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WINDOW=${WINDOW:-60}
FLEET=${FLEET:-10000}
LARGER=${LARGER:-20000 40000}
INTERVAL_S=5
PREVIOUS_FLEET=0
[[ -f .dbm/up/run/fleet.size ]] && PREVIOUS_FLEET=$(<.dbm/up/run/fleet.size)
restore_fleet() { ./dbm up --fleet "$PREVIOUS_FLEET" >/dev/null 2>&1 || true; }
trap 'restore_fleet; bench_cleanup' EXIT

# the streams-app's /metrics is on its management port (not in ./dbm status): from the port table of ./dbm
# shellcheck source=tools/dbm/common.sh
STREAMS_METRICS="http://127.0.0.1:$(ROOT=$PWD && source tools/dbm/common.sh && use_stack up && port streams_management)/metrics"
POLLER_METRICS="$POLLER_URL/metrics"
REDIS_HOSTPORT=${REDIS_URL#*://}
# The benchmark JVMs reach the secured up stack as the apps do (KafkaClientSettings and RedisEndpoint variables): the
# probe reads Kafka as the operator and listens to Redis as its admin (keyspace notifications need CONFIG SET and
# PSUBSCRIBE, which the operator's read-only user lacks); the ceiling creates and fills topics of its own as admin, with
# a plain Redis of its own.
PROBE_ENV=(KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP" KAFKA_CLIENT_PROPERTIES_FILE="$KAFKA_CONFIG_DIR/operator.properties"
           REDIS_URL="$REDIS_URL" REDIS_USERNAME=admin REDIS_PASSWORD_FILE="$SECRETS_DIR/redis-admin.password"
           REDIS_CA_FILE="$CA_FILE")
CEILING_ENV=(KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP" KAFKA_CLIENT_PROPERTIES_FILE="$KAFKA_CONFIG_DIR/admin.properties")


rss_table() {
  local f name pid rss out=()
  for f in .dbm/up/run/*.pid; do
    name=$(basename "$f" .pid)
    pid=$(awk '{print $1}' "$f")
    rss=$(ps -o rss= -p "$pid" 2>/dev/null | awk '{printf "%.0f", $1 / 1024}')
    [[ -n $rss ]] && out+=("$name $rss")
  done
  printf '%s\n' "${out[@]}" | sort -k2 -nr | awk '{ printf "%s%s %s MiB", (NR > 1 ? ", " : ""), $1, $2 }'
}

# set_fleet N: ./dbm up --fleet N and wait until the poller knows all of them and has ticked twice since
set_fleet() {
  local n=$1 known _
  ./dbm up --fleet "$n" >&2
  for _ in $(seq 1 90); do
    known=$(metric_sum "$POLLER_METRICS" '^dbm_poller_databases$' | cut -d. -f1)
    ((known >= n)) && break
    sleep 2
  done
  ((known >= n)) || { echo "the poller knows $known of $n databases after 180 s" >&2; exit 1; }
  sleep $((3 * INTERVAL_S))
}

# measure N -> one line: cycles mean_s max_s missed snapshots_per_s written_per_s lag(p50 p99 p999 max)
measure() {
  local c0 s0 a0 w0 m0 c1 s1 a1 w1 m1 lag max
  c0=$(metric_sum "$POLLER_METRICS" '^dbm_poller_cycle_duration_seconds_count')
  s0=$(metric_sum "$POLLER_METRICS" '^dbm_poller_cycle_duration_seconds_sum')
  m0=$(metric_sum "$POLLER_METRICS" '^dbm_poller_missed_ticks_total')
  a0=$(metric_sum "$STREAMS_METRICS" '^dbm_streams_snapshots_accepted_total')
  w0=$(metric_sum "$STREAMS_METRICS" '^dbm_streams_mirror_written_total')
  lag=$(env "${PROBE_ENV[@]}" java -Xmx256m -cp "$BENCH_JAR" com.dbmetrics.bench.PipelineLagProbe "$KAFKA_BOOTSTRAP" "$REDIS_HOSTPORT" \
    "$WINDOW" 0 | awk '/^lag/')
  c1=$(metric_sum "$POLLER_METRICS" '^dbm_poller_cycle_duration_seconds_count')
  s1=$(metric_sum "$POLLER_METRICS" '^dbm_poller_cycle_duration_seconds_sum')
  m1=$(metric_sum "$POLLER_METRICS" '^dbm_poller_missed_ticks_total')
  a1=$(metric_sum "$STREAMS_METRICS" '^dbm_streams_snapshots_accepted_total')
  w1=$(metric_sum "$STREAMS_METRICS" '^dbm_streams_mirror_written_total')
  max=$(metric_sum "$POLLER_METRICS" '^dbm_poller_cycle_duration_seconds_max')
  awk -v c="$(awk -v a="$c1" -v b="$c0" 'BEGIN{print a-b}')" -v s="$(awk -v a="$s1" -v b="$s0" 'BEGIN{print a-b}')" \
      -v m="$(awk -v a="$m1" -v b="$m0" 'BEGIN{print a-b}')" -v a="$(awk -v x="$a1" -v y="$a0" 'BEGIN{print x-y}')" \
      -v w="$(awk -v x="$w1" -v y="$w0" 'BEGIN{print x-y}')" -v mx="$max" -v win="$WINDOW" -v lag="$lag" 'BEGIN {
    n = split(lag, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], p, "="); L[p[1]] = p[2] }
    printf "%d %.3f %.3f %d %.0f %.0f %s %s %s %s\n", c, (c > 0 ? s / c : 0), mx, m, a / win, w / win,
      L["p50_ms"], L["p99_ms"], L["p999_ms"], L["max_ms"] }'
}

command -v redis-server >/dev/null || { echo "redis-server is missing" >&2; exit 1; }
emit "### Part 1: the live pipeline with the fleet simulator (poll interval ${INTERVAL_S} s, window ${WINDOW} s)"
emit ""
set_fleet "$FLEET"
CYC=() MAXC=() MISSED=() SNAP=() WRITTEN=() L50=() L99=() L999=() LMAX=()
for _ in $(seq 1 "$REPEATS"); do
  read -r c mean mx missed snap written l50 l99 l999 lmax <<<"$(measure)"
  CYC+=("$mean") MAXC+=("$mx") MISSED+=("$missed") SNAP+=("$snap") WRITTEN+=("$written")
  L50+=("$l50") L99+=("$l99") L999+=("$l999") LMAX+=("$lmax")
done
RSS_FLEET=$(rss_table)
emit "| databases | cycle mean s | cycle max s | missed ticks | snapshots/s accepted | written to Redis/s | lag p50 ms | lag p99 ms | lag p99.9 ms | lag max ms |"
emit "|---|---|---|---|---|---|---|---|---|---|"
emit "| $FLEET | $(fmt_stats %.3f "${CYC[@]}") | $(fmt_stats %.2f "${MAXC[@]}") | $(fmt_stats %d "${MISSED[@]}") |" \
  "$(fmt_stats %.0f "${SNAP[@]}") | $(fmt_stats %.0f "${WRITTEN[@]}") | $(fmt_stats %.0f "${L50[@]}") |" \
  "$(fmt_stats %.0f "${L99[@]}") | $(fmt_stats %.0f "${L999[@]}") | $(fmt_stats %.0f "${LMAX[@]}") |"
read -r P99 _ <<<"$(stats "${L99[@]}")"
EXPECTED=$((FLEET / INTERVAL_S))
sustained() { # N MAX_CYCLE_S MISSED SNAPSHOTS_PER_S
  awk -v n="$1" -v mx="$2" -v missed="$3" -v snap="$4" -v i="$INTERVAL_S" \
    'BEGIN { exit !(mx < i && missed == 0 && snap >= 0.95 * n / i) }'
}
LARGEST="none of the sizes tried"
read -r m_max _ <<<"$(stats "${MAXC[@]}")"
read -r m_missed _ <<<"$(stats "${MISSED[@]}")"
read -r m_snap _ <<<"$(stats "${SNAP[@]}")"
if sustained "$FLEET" "$m_max" "$m_missed" "$m_snap"; then
  LARGEST="$FLEET databases"
  for n in $LARGER; do
    set_fleet "$n"
    read -r _ mean mx missed snap written l50 l99 l999 lmax <<<"$(measure)"
    emit "| $n (one run) | $mean | $mx | $missed | $snap | $written | $l50 | $l99 | $l999 | $lmax |"
    sustained "$n" "$mx" "$missed" "$snap" || break
    LARGEST="$n databases"
  done
fi
emit ""
emit "RSS with $FLEET databases: $RSS_FLEET."
emit ""
emit "Targets: $FLEET databases at ${INTERVAL_S} s with visibility p99 ≤ 250 ms — median p99 **$P99 ms**" \
  "($(awk -v p="$P99" 'BEGIN { print (p <= 250 ? "met" : "missed") }')); the streams-app must accept ≈ $EXPECTED" \
  "snapshots/s. Largest fleet sustained here (every cycle shorter than the interval, no missed tick, ≥ 95 % of the" \
  "expected snapshots/s): **$LARGEST** (larger fleets are tried only when the smaller one is sustained; the fleet" \
  "simulator and the Prometheus scraping it share the 2 cores with the pipeline)."
restore_fleet

emit ""
emit "### Part 2: the streams-app's ceiling from a pre-filled topic"
emit ""
CEILING_REDIS_PORT=$(free_port)
redis-server --port "$CEILING_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  >"$WORK/ceiling-redis.log" 2>&1 &
echo $! >"$WORK/ceiling-redis.pid"
sleep 0.5
env "${CEILING_ENV[@]}" java -Xmx3g -cp "$BENCH_JAR" com.dbmetrics.bench.StreamsThroughputBench "$KAFKA_BOOTSTRAP" \
  "redis://127.0.0.1:$CEILING_REDIS_PORT" "${CEILING_SNAPSHOTS:-1000000}" "${CEILING_DATABASES:-100000}" "$REPEATS" 6 \
  >"$WORK/ceiling.out" 2>"$WORK/ceiling.err" || { tail -20 "$WORK/ceiling.err" >&2; exit 1; }
grep -E '^(filled|[a-z-]+ +run [0-9])' "$WORK/ceiling.out" | sed 's/^/    /' | tee -a "$DBM_BENCH_OUT"
emit ""
sed -n '/^[0-9,]* snapshots over/,$p' "$WORK/ceiling.out" | tee -a "$DBM_BENCH_OUT"
emit ""
emit "Variants: \`baseline\` = source → persistent store upsert → Redis SET pipelined every 10 ms, at-least-once, 100 ms" \
  "commits (no event-time guard, no project index, no view topic, no Lua); \`ours-*\` = the real streams-app" \
  "(StreamsApp.start) with the guarantee and commit interval named; \`-2t\`: two stream threads, else one;" \
  "\`ours-eos-20ms-2t\` is the default. A run's clock starts at RUNNING and stops when the committed offsets reach the" \
  "end and every database's Redis key holds its last snapshot."
ours=$(awk -F'|' '$2 ~ /^ ours-eos-20ms-2t $/ { split($3, a, " "); gsub(",", "", a[1]); print a[1] }' "$WORK/ceiling.out")
emit ""
emit "Target ≥ 40,000 snapshots/s with the defaults: median **$ours** snapshots/s" \
  "($( ((ours >= 40000)) && echo met || echo missed))."
