# shellcheck shell=bash
# Sourced by ./dbm: the Kafka brokers (KRaft; one node, three under `up --ha`) of a stack, from the jars in .dbm/kafka-libs and the templates
# in tools/dbm/templates/kafka, secured (SASL_SSL, SCRAM users, StandardAuthorizer with the ACLs of KAFKA_ACLS), and
# the dbmetrics topics.

# What each principal may do (everything else is refused: allow.everyone.if.no.acl.found=false; admin is a super user).
# One AclCommand run per row: the operations (comma-separated) on every resource (TYPE:NAME, TYPE one of topic, group,
# transactional-id) of the row, with that resource pattern type.
#   principal  pattern   operations      resources
KAFKA_ACLS='
    poller     literal   Write,Describe  topic:dbmetrics.snapshots.v1 topic:dbmetrics.poller-status.v1
    poller     literal   Read,Describe   topic:dbmetrics.poller-election.v1 group:dbmetrics-poller
    poller     prefixed  Write,Describe  transactional-id:dbmetrics-poller
    streams    prefixed  All             topic:dbmetrics-streams group:dbmetrics-streams transactional-id:dbmetrics-streams
    streams    literal   Read,Describe   topic:dbmetrics.snapshots.v1 topic:dbmetrics.poller-status.v1 topic:dbmetrics.latest.v1
    streams    literal   Write,Describe  topic:dbmetrics.latest.v1 topic:dbmetrics.snapshots.dlq.v1
    operator   prefixed  Read,Describe   topic:dbmetrics. group:dbmetrics-operator group:console-consumer-
    operator   literal   Write           topic:dbmetrics.snapshots.v1
'

KAFKA_JVM_OPTS=(-Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true)

kafka_tool() {
  java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$DATA_DIR/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# Replication of every topic: 3 with 2 in sync under --ha (a broker may fail without refusing a write), else 1.
kafka_replication() { if ha; then echo 3; else echo 1; fi; }
kafka_min_isr() { if ha; then echo 2; else echo 1; fi; }

# The controller quorum: node.id@host:controller-port of every node.
kafka_voters() {
  local c out=()
  for c in $(kafka_nodes); do out+=("$(instance_no "$c")@127.0.0.1:$(iport kafka_controller "$c")"); done
  joined "${out[@]}"
}

write_kafka_config() {
  local c=$1 dir=$2
  render kafka/server.properties NODE_ID="$(instance_no "$c")" VOTERS="$(kafka_voters)" \
    KAFKA_PORT="$(iport kafka "$c")" CONTROLLER_PORT="$(iport kafka_controller "$c")" \
    REPLICATION="$(kafka_replication)" MIN_ISR="$(kafka_min_isr)" \
    LOG_DIRS="$dir/kraft-logs" KEYSTORE="$(secret_path kafka-keystore.pem)" CA_FILE="$(ca_file)" \
    ADMIN_PASSWORD="$(<"$(kafka_password_file admin)")" \
    PLAIN_USERS="user_operator=\"$(<"$(kafka_password_file operator)")\"" | write_private "$dir/server.properties"
  render kafka/log4j2.properties ROOT_LEVEL=INFO >"$dir/log4j2.properties"
  render kafka/log4j2.properties ROOT_LEVEL=WARN >"$dir/tools-log4j2.properties"
}

# Kafka is started in two halves so the other components start while the broker JVMs warm up.
KAFKA_STARTED=0
launch_kafka() {
  local c
  ensure_kafka_libs
  for c in $(kafka_nodes); do launch_kafka_node "$c"; done
}

# launch_kafka_node COMPONENT: one node, its data in .dbm/<stack>/data/COMPONENT; every node of a stack is formatted
# with the cluster id kept in data/kafka.
launch_kafka_node() {
  local c=$1 dir=$DATA_DIR/$1 ids=$DATA_DIR/kafka cluster_id
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$(iport kafka "$c")"
  require_free_port "$c" "$(iport kafka_controller "$c")"
  mkdir -p "$dir" "$ids" "$LOG_DIR"
  write_kafka_config "$c" "$dir"
  if [[ -f $dir/kraft-logs/meta.properties && ! -f $dir/scram-users ]]; then
    log "$c: the data in $dir was formatted without SCRAM users (a plaintext stack): formatting it anew"
    rm -rf "$dir/kraft-logs" "$ids/acls.sha256"
  fi
  # (data of a single node formatted before the quorum was recorded belongs to the single-node quorum)
  if [[ -f $dir/kraft-logs/meta.properties && ! -f $dir/voters ]] && ! ha; then kafka_voters >"$dir/voters"; fi
  if [[ -f $dir/kraft-logs/meta.properties && $(cat "$dir/voters" 2>/dev/null) != "$(kafka_voters)" ]]; then
    log "$c: the data in $dir belongs to another quorum ($(cat "$dir/voters" 2>/dev/null)): formatting it anew"
    rm -rf "$dir/kraft-logs" "$ids/acls.sha256"
  fi
  # (a node whose data has another cluster id than node 1's: node 1 was formatted anew, e.g. by a single-node `up`)
  if [[ $(instance_no "$c") != 1 && -f $dir/kraft-logs/meta.properties && -s $ids/cluster-id ]] \
      && ! grep -qx "cluster.id=$(<"$ids/cluster-id")" "$dir/kraft-logs/meta.properties"; then
    log "$c: the data in $dir belongs to another cluster: formatting it anew"
    rm -rf "$dir/kraft-logs"
  fi
  if [[ ! -f $dir/kraft-logs/meta.properties ]]; then
    # 16 random bytes, base64url without padding: a Kafka Uuid; not starting with '-', which StorageTool would read
    # as an option. A new quorum gets a new id (formatted again from node 1), nodes after it share it.
    if [[ $(instance_no "$c") == 1 ]]; then rm -f "$ids/cluster-id"; fi
    while [[ ! -s $ids/cluster-id || $(<"$ids/cluster-id") == -* ]]; do
      head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$ids/cluster-id"
    done
    cluster_id=$(<"$ids/cluster-id")
    local scram=() p
    for p in "${KAFKA_PRINCIPALS[@]}"; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$p,password=$(<"$(kafka_password_file "$p")")]")
    done
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" "${scram[@]}" \
      >>"$(logfile "$c")" 2>&1 || fail_with_log "$c" "formatting the Kafka storage failed"
    printf '%s\n' "${KAFKA_PRINCIPALS[@]}" >"$dir/scram-users"
    kafka_voters >"$dir/voters"
  fi
  local logs=$LOG_DIR
  [[ $c == kafka ]] || logs=$LOG_DIR/$c
  launch "$c" java "${KAFKA_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -Dkafka.logs.dir="$logs" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
  KAFKA_STARTED=1
}

await_kafka() {
  local c
  for c in $(kafka_nodes); do
    wait_until "$c" 60 "Kafka listener on port $(iport kafka "$c")" port_in_use "$(iport kafka "$c")"
  done
  if ((KAFKA_STARTED)); then
    add_acls &
    local acls=$!
    create_topics
    wait "$acls" || fail_with_log kafka "could not add the Kafka ACLs"
  fi
  return 0
}

# add_acls: the rows of KAFKA_ACLS, by org.apache.kafka.tools.AclCommand as admin (in parallel: a JVM each). ACLs live
# in the cluster metadata: skipped when this data directory has them already.
add_acls() {
  local dir=$DATA_DIR/kafka want principal pattern ops resources args op r pids=() pid rc=0
  want=$(sha256sum <<<"$KAFKA_ACLS" | cut -d' ' -f1)
  [[ -f $dir/acls.sha256 && $(<"$dir/acls.sha256") == "$want" ]] && return 0
  while read -r principal pattern ops resources; do
    args=(--bootstrap-server "$(kafka_bootstrap)" --command-config "$(kafka_client_properties admin)" --add
      --allow-principal "User:$principal" --resource-pattern-type "$pattern")
    for op in ${ops//,/ }; do args+=(--operation "$op"); done
    for r in $resources; do args+=("--${r%%:*}" "${r#*:}"); done
    kafka_tool org.apache.kafka.tools.AclCommand "${args[@]}" >>"$(logfile kafka)" 2>&1 &
    pids+=($!)
  done < <(rows "$KAFKA_ACLS")
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  ((rc == 0)) || { log "AclCommand failed (see $(logfile kafka))"; return 1; }
  echo "$want" >"$dir/acls.sha256"
  log "kafka ACLs added for $(rows "$KAFKA_ACLS" | awk '{print $1}' | sort -u | paste -sd' ')"
}

# The topics of the Kafka contract (auto-create is off), from their one definition: the poller jar's create-topics, which
# compose and Kubernetes run too. It prints one line per topic ("NAME: created|exists (...)") and fails when a topic
# differs from the definition.
create_topics() {
  local jar out
  await_jars
  ensure_jars poller
  jar=$ROOT/$(app_jar poller)
  if ! out=$(KAFKA_BOOTSTRAP_SERVERS=$(kafka_bootstrap) KAFKA_CLIENT_PROPERTIES_FILE=$(kafka_client_properties admin) \
      KAFKA_TOPIC_REPLICATION_FACTOR=$(kafka_replication) \
      java "${TOOL_JVM_OPTS[@]}" -jar "$jar" create-topics 2>>"$(logfile kafka)"); then
    printf '%s\n' "$out" >>"$(logfile kafka)"
    fail_with_log kafka "could not create the Kafka topics (java -jar $jar create-topics)"
  fi
  printf '%s\n' "$out" >>"$(logfile kafka)"
  log "kafka topics ready: $(awk -F': ' '$2 ~ /^(created|exists) / { print $1 }' <<<"$out" | paste -sd' ')"
}
