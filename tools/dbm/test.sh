# shellcheck shell=bash
# Sourced by ./dbm: `./dbm test`: shellcheck of every script, then the test stack, then `mvn -B verify` with the
# DBM_IT_* variables the integration tests read.

# Only one `./dbm test` per machine at a time: the test ports are the machine's, so two runs (also of two checkouts)
# would collide. The lock is held on file descriptor 8 until the process exits (also on failure or interrupt).
TEST_LOCK=/tmp/dbm-test.lock
acquire_test_lock() {
  exec 8>>"$TEST_LOCK"
  if ! flock -n 8; then
    log "another ./dbm test holds $TEST_LOCK: waiting for it to finish"
    local t
    t=$(now_ms)
    flock 8 || die "could not lock $TEST_LOCK"
    log "got $TEST_LOCK after $(since "$t")"
  fi
}

# The shell scripts of the repository, all checked by shellcheck (following what they source).
shell_scripts() {
  (cd "$ROOT" && printf '%s\n' dbm tools/dbm/*.sh .ci/run benchmarks/*.sh benchmarks/scenarios/*.sh benchmarks/scripts/*.sh)
}

run_shellcheck() {
  local scripts
  mapfile -t scripts < <(shell_scripts)
  log "shellcheck -x ${scripts[*]}"
  (cd "$ROOT" && shellcheck -x "${scripts[@]}") || die "shellcheck found problems (above): fix them before the tests run"
}

# export_test_env: the DBM_IT_* variables of the integration tests, from the test stack's tables.
export_test_env() {
  local i pg_i='' redis_i='' mysql_i=''
  for i in "${!DB_IDS[@]}"; do
    case ${DB_ENGINES[$i]} in
      postgresql) [[ -n $pg_i ]] || pg_i=$i ;;
      redis) [[ -n $redis_i ]] || redis_i=$i ;;
      mysql) [[ -n $mysql_i ]] || mysql_i=$i ;;
    esac
  done
  DBM_IT_KAFKA_BOOTSTRAP="127.0.0.1:$(port kafka)"
  DBM_IT_REDIS_URL="rediss://127.0.0.1:$(port redis)"
  DBM_IT_REDIS_SENTINELS=$(redis_sentinel_addresses)
  DBM_IT_REDIS_SENTINEL_MASTER=$REDIS_SENTINEL_MASTER
  DBM_IT_REDIS_CLUSTER_NODES=$(redis_cluster_addresses)
  DBM_IT_PROMETHEUS_URL="https://127.0.0.1:$(port prometheus)"
  # The secured services (TestServices reads these): per-principal Kafka client properties, the CA, the Redis and
  # Prometheus password files, kcat's librdkafka properties (operator), and the Kafka jars for the Kafka CLI tools.
  DBM_IT_KAFKA_CONFIG_DIR=$(secret_path kafka)
  DBM_IT_CA_FILE=$(ca_file)
  DBM_IT_SECRETS_DIR=$(secrets_dir)
  DBM_IT_KCAT_CONFIG=$(kcat_config)
  DBM_IT_KAFKA_LIBS=$KAFKA_LIBS
  DBM_IT_POSTGRES_JDBC_URL="jdbc:postgresql://127.0.0.1:$(port "${DB_PORTKEYS[$pg_i]}")/postgres?user=postgres"
  DBM_IT_PG_DATABASE_ID="${DB_IDS[$pg_i]}"
  DBM_IT_DEMO_REDIS_URL="redis://127.0.0.1:$(port "${DB_PORTKEYS[$redis_i]}")"
  DBM_IT_REDIS_DATABASE_ID="${DB_IDS[$redis_i]}"
  DBM_IT_MYSQL_DATABASE_ID="${DB_IDS[$mysql_i]}"
  DBM_IT_SCRAPE_INTERVAL_SECONDS=$SCRAPE_INTERVAL_SECONDS
  DBM_IT_CHROMIUM=$(command -v chromium || true)
  DBM_IT_UI_TEST="$ROOT/e2e/node/ui-test.mjs"
  DBM_IT_PROM_CLIENT="$ROOT/e2e/node/prom-client.mjs"
  export DBM_IT_CHROMIUM DBM_IT_UI_TEST DBM_IT_PROM_CLIENT
  export DBM_IT_REDIS_SENTINELS DBM_IT_REDIS_SENTINEL_MASTER DBM_IT_REDIS_CLUSTER_NODES
  export DBM_IT_KAFKA_BOOTSTRAP DBM_IT_REDIS_URL DBM_IT_PROMETHEUS_URL DBM_IT_POSTGRES_JDBC_URL DBM_IT_PG_DATABASE_ID \
    DBM_IT_DEMO_REDIS_URL DBM_IT_REDIS_DATABASE_ID DBM_IT_SCRAPE_INTERVAL_SECONDS DBM_IT_MYSQL_DATABASE_ID \
    DBM_IT_KAFKA_CONFIG_DIR DBM_IT_CA_FILE DBM_IT_SECRETS_DIR DBM_IT_KCAT_CONFIG DBM_IT_KAFKA_LIBS
  env | grep '^DBM_IT_' | sort | sed 's/^/[dbm]   /' >&2
}

cmd_test() {
  local t0 t rc
  t0=$(now_ms)
  acquire_test_lock
  stack_down test # leftovers of an interrupted run
  use_stack test
  rm -rf "$STACK_DIR" "$(pg_fallback_base)"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"
  trap 'rc=$?; trap - EXIT; stop_jars_build; stack_down test >&2; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  t=$(now_ms); install_for test; ensure_node_clients; log "phase install check: $(since "$t")"
  t=$(now_ms); run_shellcheck; log "phase shellcheck: $(since "$t")"
  t=$(now_ms); ensure_kafka_libs; log "phase kafka jars: $(since "$t")"
  ensure_jars_in_background poller # create-topics, at the end of the infrastructure phase
  t=$(now_ms); start_infra; log "phase infrastructure (and the poller jar): $(since "$t")"
  t=$(now_ms); await_scrapes; log "phase first scrapes: $(since "$t")"
  export_test_env

  t=$(now_ms)
  log "running: mvn -B verify $*"
  set +e
  (cd "$ROOT" && mvn -B verify "$@")
  rc=$?
  set -e
  log "phase mvn verify: $(since "$t") (exit $rc)"
  log "total: $(since "$t0")"
  return $rc
}
