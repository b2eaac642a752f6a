# shellcheck shell=bash
# Sourced by ./dbm: a whole stack. The infrastructure is the same for `up` and `test`; `up` adds the three apps.

# The infrastructure of a stack: Kafka, Redis, the demo databases with their exporters, the fleet, Prometheus; Kafka,
# Redis and Prometheus secured with the stack's secrets.
start_infra() {
  local t0
  t0=$(now_ms)
  ensure_secrets
  launch_kafka
  start_redis_cache
  if redis_ha; then start_redis_sentinels "$(sentinel_down_after)"; fi
  if redis_cluster; then start_redis_cluster; fi
  start_demo_databases
  [[ ! -f $RUN_DIR/fleet.size ]] || start_fleet
  start_prometheus
  await_kafka
  log "infrastructure of stack '$STACK' ready in $(since "$t0")"
}

cmd_up() {
  local infra_only=0 fleet='' ha=0 cluster=0
  while (($#)); do
    case $1 in
      --infra-only) infra_only=1; shift ;;
      --ha) ha=1; shift ;;
      --redis-cluster) cluster=1; shift ;;
      --fleet)
        fleet=${2:-}; shift 2 || die "--fleet needs a number of databases"
        if [[ ! $fleet =~ ^[0-9]+$ ]] || ((fleet > FLEET_MAX)); then die "--fleet must be 0-$FLEET_MAX, was '$fleet'"; fi ;;
      *) die "up: unknown argument '$1' (see ./dbm help)" ;;
    esac
  done
  ((!cluster || ha)) || die "--redis-cluster is a variant of --ha: ./dbm up --ha --redis-cluster"
  use_stack up
  local t0 t
  t0=$(now_ms)
  mkdir -p "$RUN_DIR"
  configure_topology "$ha" "$cluster"
  t=$(now_ms); install_for up; log "install check: $(since "$t")"
  t=$(now_ms); ensure_kafka_libs; log "kafka jars: $(since "$t")"
  [[ -z $fleet ]] || configure_fleet "$fleet"
  if ((!infra_only)); then t=$(now_ms); ensure_jars; log "app jars: $(since "$t")"; fi
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"
  start_infra
  if ((infra_only)); then
    print_summary
    log "infrastructure only (--infra-only): poller, streams-app and query-api were not started"
    return 0
  fi
  start_apps
  await_api
  print_summary
  log "up in $(since "$t0")"
}

# configure_topology HA CLUSTER: remember whether the `up` stack is the highly available one (HA 1) or single-node (0),
# and whether its Redis is a Cluster (CLUSTER 1) or Sentinel's. Changing either needs a stack that is down: the
# components differ.
configure_topology() {
  local want=$(($1 * 2 + $2)) have=0
  [[ -f $RUN_DIR/ha ]] && have=2
  [[ -f $RUN_DIR/redis-cluster ]] && have=$((have + 1))
  ((want == have)) && return 0
  if is_running kafka || is_running redis; then
    die "the running stack is $(case $have in 0) echo single-node ;; 2) echo 'highly available (--ha)' ;; *) echo 'highly available with a Redis Cluster (--ha --redis-cluster)' ;; esac); ./dbm down first to switch"
  fi
  if (($1)); then touch "$RUN_DIR/ha"; else rm -f "$RUN_DIR/ha"; fi
  if (($2)); then touch "$RUN_DIR/redis-cluster"; else rm -f "$RUN_DIR/redis-cluster"; fi
}

cmd_down() {
  (($# == 0)) || die "down takes no arguments"
  stack_down up
  log "stopped"
}
