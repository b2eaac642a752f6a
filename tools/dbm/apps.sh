# shellcheck shell=bash
# Sourced by ./dbm: the three apps (poller, streams-app, query-api) of the `up` stack, each run from a private copy of
# its fat jar with the environment of app_env.

# kafka_env PRINCIPAL: the Kafka client variables of an app acting as PRINCIPAL (SASL_SSL, SCRAM-SHA-512).
kafka_env() {
  printf '%s\n' "KAFKA_BOOTSTRAP_SERVERS=$(kafka_bootstrap)" KAFKA_SECURITY_PROTOCOL=SASL_SSL \
    KAFKA_SASL_MECHANISM=SCRAM-SHA-512 "KAFKA_SASL_USERNAME=$1" "KAFKA_SASL_PASSWORD_FILE=$(kafka_password_file "$1")" \
    "KAFKA_SSL_CA_FILE=$(ca_file)"
}

# redis_env USER: the L2 cache as Redis ACL user USER, over TLS; under --ha its primary found through the sentinels,
# under --ha --redis-cluster the cluster's nodes.
redis_env() {
  printf '%s\n' "REDIS_URL=rediss://127.0.0.1:$(port redis)" "REDIS_USERNAME=$1" \
    "REDIS_PASSWORD_FILE=$(redis_password_file "$1")" "REDIS_CA_FILE=$(ca_file)"
  if redis_cluster; then
    echo "REDIS_CLUSTER_NODES=$(redis_cluster_addresses)"
  elif ha; then
    printf '%s\n' "REDIS_SENTINELS=$(redis_sentinel_addresses)" "REDIS_SENTINEL_MASTER=$REDIS_SENTINEL_MASTER" \
      "REDIS_SENTINEL_PASSWORD_FILE=$(redis_password_file sentinels)"
  fi
}

# The interactive-query URLs of every streams-app instance (STREAMS_IQ_URLS of the API).
streams_iq_urls() {
  local c out=()
  for c in $(app_instances streams); do out+=("http://127.0.0.1:$(iport streams_iq "$c")"); done
  joined "${out[@]}"
}

# app_env COMPONENT: the environment of one app instance, one VAR=value per line. Each app has its own principals.
app_env() {
  local c=$1
  case $(kind_of "$c") in
    poller)
      kafka_env poller
      printf '%s\n' "PROMETHEUS_URL=https://127.0.0.1:$(port prometheus)" PROMETHEUS_USERNAME=poller \
        "PROMETHEUS_PASSWORD_FILE=$(prometheus_password_file poller)" "PROMETHEUS_CA_FILE=$(ca_file)" \
        "METRICS_POLL_INTERVAL=$POLL_INTERVAL" "POLLER_MANAGEMENT_PORT=$(iport poller_management "$c")" \
        "POLLER_ID=$c" ;;
    streams)
      kafka_env streams
      redis_env streams
      printf '%s\n' "STREAMS_IQ_TOKEN_FILE=$(iq_token_file)" \
        "STREAMS_APPLICATION_SERVER=127.0.0.1:$(iport streams_iq "$c")" "STREAMS_STATE_DIR=$DATA_DIR/$c" \
        "STREAMS_MANAGEMENT_PORT=$(iport streams_management "$c")" "METRICS_POLL_INTERVAL=$POLL_INTERVAL"
      if ha; then echo STREAMS_NUM_STANDBY_REPLICAS=1; fi ;;
    api)
      redis_env api
      printf '%s\n' "STREAMS_IQ_TOKEN_FILE=$(iq_token_file)" "STREAMS_IQ_URLS=$(streams_iq_urls)" \
        "AUTH_JWT_SECRET_FILE=$(dev_secret_file)" "AUTH_JWT_ISSUER=$DEV_TOKEN_ISSUER" \
        "API_PORT=$(iport api "$c")" "API_MANAGEMENT_PORT=$(iport api_management "$c")" \
        "METRICS_POLL_INTERVAL=$POLL_INTERVAL" ;;
    *) die "no app '$c'" ;;
  esac
}

# app_jvm_options APP: the JVM options of an app (or of an instance's app), one per line (APPS): -Xmx, -Xms where the
# heap is committed at start, and the argument file of its module's other options (MODULE/jvm.options).
app_jvm_options() {
  rows "$APPS" | awk -v k="$(kind_of "$1")" -v root="$ROOT" '$1 == k {
    print "-Xmx" $3; if ($4 != "-") print "-Xms" $4; sub(/\/.*/, "", $2); print "@" root "/" $2 "/jvm.options" }'
}

start_apps() {
  local c jar jvm=() env=()
  for c in $(app_components); do
    jar=$(app_jar "$c")
    mapfile -t jvm < <(app_jvm_options "$c")
    is_running "$c" && { log "$c already running"; continue; }
    [[ -f $ROOT/$jar ]] || die "$jar is missing (the build should have made it)"
    mapfile -t env < <(app_env "$c")
    mkdir -p "$DATA_DIR/$c"
    # Run a private copy: a later build (./dbm test, mvn package) rewrites target/*.jar, and a JVM whose jar is
    # rewritten under it fails to load classes it has not loaded yet (requests then hang or fail).
    cp "$ROOT/$jar" "$DATA_DIR/$c/app.jar"
    launch "$c" env "${env[@]}" java "${jvm[@]}" -jar "$DATA_DIR/$c/app.jar"
    log "$c started (pid $(running_pid "$c"))"
  done
  if ha; then start_lb; fi
}

# up --ha: HAProxy in front of the API instances on the api port, each instance checked every second on its /readyz
# (a draining or starting instance leaves the rotation); an instance back in the rotation gets its share of the reads
# over 30 s (slowstart: a cold JVM given half the load at once answered in seconds while it compiled); live streams
# (SSE) may stay open for hours.
start_lb() {
  local c servers=''
  is_running lb && { log "lb already running"; return 0; }
  require_free_port lb "$(port api)"
  mkdir -p "$DATA_DIR/lb"
  for c in $(app_instances api); do
    servers+="    server $c 127.0.0.1:$(iport api "$c") check inter 1s fall 2 rise 2 slowstart 30s"$'\n'
  done
  render haproxy/haproxy.cfg PORT="$(port api)" STATS_PORT="$(port lb_stats)" SERVERS="$servers" \
    >"$DATA_DIR/lb/haproxy.cfg"
  launch lb haproxy -W -db -f "$DATA_DIR/lb/haproxy.cfg"
  wait_until lb 20 "HAProxy on port $(port api)" port_in_use "$(port api)"
}

# Wait until the API serves the first demo database (a poll, a snapshot through Kafka Streams, a cache fill), and
# until every API instance is ready.
await_api() {
  local url token deadline code='' body c
  url="http://127.0.0.1:$(port api)$(metrics_path 0)"
  token=$(mint_token --user dev --ttl 3600 --tenant "${DB_DOMAINS[0]}/${DB_PROJECTS[0]}")
  deadline=$(( $(now_ms) + APP_READY_TIMEOUT * 1000 ))
  log "waiting (up to ${APP_READY_TIMEOUT}s) for $url"
  body=$(mktemp)
  while :; do
    code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 3 -H "Authorization: Bearer $token" "$url" 2>&1) || true
    [[ $code == 200 ]] && break
    for c in $(app_components); do
      is_running "$c" || { rm -f "$body"; fail_with_log "$c" "$c exited while waiting for the API"; }
    done
    if (( $(now_ms) >= deadline )); then
      log "the API never answered 200 for ${DB_IDS[0]}; last answer (HTTP ${code:-none}):"
      cat "$body" >&2; echo >&2
      log "logs: $(for c in $(app_components); do printf '%s ' "$(logfile "$c")"; done)"
      rm -f "$body"
      exit 1
    fi
    sleep 1
  done
  rm -f "$body"
  # and every API instance has warmed up (load.Warmup: /readyz answers 503 until then, so under --ha the load
  # balancer sends it nothing before)
  for c in $(app_instances api); do
    wait_until "$c" 90 "warm-up (/readyz)" http_ok "$(ready_url "$c")"
  done
}

# restart APP...: stop the named apps of the `up` stack, rebuild the jars if sources changed, start them again.
cmd_restart() {
  (($#)) || die "restart: name at least one app ($(app_components | tr '\n' ' '))"
  use_stack up
  local c known
  known=" $(app_components | tr '\n' ' ')"
  for c in "$@"; do [[ $known == *" $c "* ]] || die "restart: '$c' is not an app (one of:$known)"; done
  install_for restart
  ensure_jars
  for c in "$@"; do stop_component "$c"; done
  start_apps
}
