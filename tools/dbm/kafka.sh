# shellcheck shell=bash
# Sourced by ./dbm: the single-node Kafka broker (KRaft) of a stack, from the jars in .dbm/kafka-libs and the templates
# in tools/dbm/templates/kafka, and the dbmetrics topics.

KAFKA_JVM_OPTS=(-Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true)
TOOL_JVM_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true)

# Kafka topics (the Kafka contract in ARCHITECTURE.md). Created explicitly: auto-create is off.
#   topic                          partitions  configs (comma-separated, - for none)
TOPICS='
    dbmetrics.snapshots.v1         6           retention.ms=604800000,cleanup.policy=delete
    dbmetrics.latest.v1            6           cleanup.policy=compact
    dbmetrics.poller-status.v1     1           cleanup.policy=compact
    dbmetrics.snapshots.dlq.v1     1           cleanup.policy=delete
    dbmetrics.poller-election.v1   1           -
'

kafka_tool() {
  java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$DATA_DIR/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

write_kafka_config() {
  local dir=$1
  render kafka/server.properties KAFKA_PORT="$(port kafka)" CONTROLLER_PORT="$(port kafka_controller)" \
    LOG_DIRS="$dir/kraft-logs" >"$dir/server.properties"
  render kafka/log4j2.properties ROOT_LEVEL=INFO >"$dir/log4j2.properties"
  render kafka/log4j2.properties ROOT_LEVEL=WARN >"$dir/tools-log4j2.properties"
}

# Kafka is started in two halves so the other components start while the broker JVM warms up.
KAFKA_STARTED=0
launch_kafka() {
  is_running kafka && { log "kafka already running"; return 0; }
  ensure_kafka_libs
  local dir=$DATA_DIR/kafka cluster_id
  require_free_port kafka "$(port kafka)"
  require_free_port kafka "$(port kafka_controller)"
  mkdir -p "$dir" "$LOG_DIR"
  write_kafka_config "$dir"
  if [[ ! -f $dir/kraft-logs/meta.properties ]]; then
    # 16 random bytes, base64url without padding: a Kafka Uuid; not starting with '-', which StorageTool would read
    # as an option
    while [[ ! -s $dir/cluster-id || $(<"$dir/cluster-id") == -* ]]; do
      head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$dir/cluster-id"
    done
    cluster_id=$(<"$dir/cluster-id")
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >>"$(logfile kafka)" 2>&1 \
      || fail_with_log kafka "formatting the Kafka storage failed"
  fi
  launch kafka java "${KAFKA_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -Dkafka.logs.dir="$LOG_DIR" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
  KAFKA_STARTED=1
}

await_kafka() {
  wait_until kafka 60 "Kafka listener on port $(port kafka)" port_in_use "$(port kafka)"
  ((KAFKA_STARTED)) && create_topics
  return 0
}

create_topics() {
  local topic partitions configs args pids=() names=() i rc=0 cfg
  while read -r topic partitions configs; do
    args=(--bootstrap-server "127.0.0.1:$(port kafka)" --create --if-not-exists --topic "$topic"
      --partitions "$partitions" --replication-factor 1)
    if [[ $configs != - ]]; then for cfg in ${configs//,/ }; do args+=(--config "$cfg"); done; fi
    kafka_tool org.apache.kafka.tools.TopicCommand "${args[@]}" >>"$(logfile kafka)" 2>&1 &
    pids+=($!) names+=("$topic")
  done < <(rows "$TOPICS")
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { log "creating topic ${names[$i]} failed"; rc=1; }; done
  ((rc == 0)) || fail_with_log kafka "could not create the Kafka topics"
  log "kafka topics ready: ${names[*]}"
}
