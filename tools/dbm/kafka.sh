# shellcheck shell=bash
# Sourced by ./dbm: the single-node Kafka broker (KRaft) of a stack, from the jars in .dbm/kafka-libs and the templates
# in tools/dbm/templates/kafka, and the dbmetrics topics.

KAFKA_JVM_OPTS=(-Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true)

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

# The topics of the Kafka contract (auto-create is off), from their one definition: the poller jar's create-topics, which
# compose and Kubernetes run too. It prints one line per topic ("NAME: created|exists (...)") and fails when a topic
# differs from the definition.
create_topics() {
  local jar out
  await_jars
  ensure_jars poller
  jar=$ROOT/$(app_jar poller)
  if ! out=$(KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(port kafka) java "${TOOL_JVM_OPTS[@]}" -jar "$jar" create-topics \
      2>>"$(logfile kafka)"); then
    printf '%s\n' "$out" >>"$(logfile kafka)"
    fail_with_log kafka "could not create the Kafka topics (java -jar $jar create-topics)"
  fi
  printf '%s\n' "$out" >>"$(logfile kafka)"
  log "kafka topics ready: $(awk -F': ' '$2 ~ /^(created|exists) / { print $1 }' <<<"$out" | paste -sd' ')"
}
