# shellcheck shell=bash
# Sourced by ./dbm: the tables everything derives from (ports, demo databases, process groups, apps), paths, output
# helpers, the stack a command works on and template rendering.
# The variables set here are read by the other parts of tools/dbm, which shellcheck checks file by file:
# shellcheck disable=SC2034

# ---------------------------------------------------------------------------------------------------------------------
# Ports. `up` and `test` use separate ports and data directories, so `./dbm test` can run beside `./dbm up`.
# No stock default port is used (5432, 6379, 9090, 9092, ...).
#
#   port key            up     test   what
PORT_TABLE='
    kafka               17092  27092  Kafka broker, SASL_SSL listener (KAFKA_BOOTSTRAP_SERVERS)
    kafka_controller    17093  27093  Kafka KRaft controller listener (TLS, client certificates)
    redis               17379  27379  Redis: the L2 cache, TLS only (REDIS_URL rediss://); the primary Sentinel watches
    redis_replica       17381  27381  Redis: replica of the L2 cache (test stack, up --ha)
    sentinel_1          17391  27391  Redis Sentinel 1 of 3 (REDIS_SENTINELS; test stack, up --ha)
    sentinel_2          17392  27392  Redis Sentinel 2 of 3
    sentinel_3          17393  27393  Redis Sentinel 3 of 3
    prometheus          17090  27090  Prometheus, HTTPS with basic auth (PROMETHEUS_URL)
    postgres            17432  27432  demo database pg-demo-1 (PostgreSQL)
    postgres_exporter   17187  27187  postgres_exporter for pg-demo-1
    demo_redis          17380  27380  demo database redis-demo-1 (Redis)
    redis_exporter      17121  27121  redis_exporter for redis-demo-1
    mariadb             17306  27306  demo database mariadb-demo-1 (MariaDB, engine mysql)
    mysqld_exporter     17104  27104  mysqld_exporter for mariadb-demo-1
    process_exporter    17256  27256  process-exporter: CPU and memory of the demo database processes (PROCESS_GROUPS)
    fleet               17900  27900  fleet simulator (./dbm up --fleet N): exporter metrics of N synthetic databases
    api                 17080  27080  query-api HTTP (API_PORT)
    api_management      17081  27081  query-api /metrics, /healthz (API_MANAGEMENT_PORT)
    streams_iq          17070  27070  streams-app interactive queries (STREAMS_APPLICATION_SERVER)
    streams_management  17072  27072  streams-app /metrics, /healthz, /readyz (STREAMS_MANAGEMENT_PORT)
    poller_management   17071  27071  poller /metrics, /healthz (POLLER_MANAGEMENT_PORT)
    redis_cluster_1     17401  27401  Redis Cluster node 1 of 6 (REDIS_CLUSTER_NODES; test stack): three primaries, three replicas
    redis_cluster_2     17402  27402  Redis Cluster node 2 of 6
    redis_cluster_3     17403  27403  Redis Cluster node 3 of 6
    redis_cluster_4     17404  27404  Redis Cluster node 4 of 6
    redis_cluster_5     17405  27405  Redis Cluster node 5 of 6
    redis_cluster_6     17406  27406  Redis Cluster node 6 of 6
    kafka_2             17094  27094  up --ha: Kafka broker 2 of 3 (broker 1 has the ports above)
    kafka_controller_2  17095  27095  up --ha: its KRaft controller listener
    kafka_3             17096  27096  up --ha: Kafka broker 3 of 3
    kafka_controller_3  17097  27097  up --ha: its KRaft controller listener
    streams_iq_2        17074  27074  up --ha: streams-app 2 of 3, interactive queries
    streams_management_2 17075 27075  up --ha: its management
    streams_iq_3        17076  27076  up --ha: streams-app 3 of 3, interactive queries
    streams_management_3 17077 27077  up --ha: its management
    poller_management_2 17078  27078  up --ha: poller 2 of 2, management
    api_1               17082  27082  up --ha: query-api 1 of 2 behind the load balancer (which has port api)
    api_management_1    17083  27083  up --ha: its management
    api_2               17084  27084  up --ha: query-api 2 of 2
    api_management_2    17085  27085  up --ha: its management
    lb_stats            17086  27086  up --ha: HAProxy statistics page of the load balancer
'
# up --ha: instances of each kind (the first keeps the kind's name and ports; instance N is KIND-N with ports KEY_N)
HA_KAFKA_NODES=3
HA_POLLERS=2
HA_STREAMS=3
HA_APIS=2

# Demo databases: Prometheus scrape targets carrying the labels the poller discovers. Everything else (the Prometheus
# config, `status`, the exported test variables) derives from this table.
#   database_id     database_name   engine      domain  project  process              port key    exporter           exporter port key
DEMO_DATABASES='
    pg-demo-1       orders-db       postgresql  acme    shop     postgres-pg-demo-1   postgres    postgres-exporter  postgres_exporter
    redis-demo-1    sessions-cache  redis       acme    shop     redis-demo-1         demo_redis  redis-exporter     redis_exporter
    mariadb-demo-1  inventory-db    mysql       acme    shop     mariadb-demo-1       mariadb     mysqld-exporter    mysqld_exporter
'
# Databases whose exporter has no CPU or memory of the database server: prometheus-process-exporter tracks their server
# process (and its children) as one group named after the database id; a scrape job per group gives its series the
# database's target labels and keeps only that group. %PORT% is the database's port; the regex is matched against the
# command line joined by spaces.
#   database_id     command line regex
PROCESS_GROUPS='
    pg-demo-1       bin/postgres .* -p %PORT%( |$)
    mariadb-demo-1  mariadbd .*--port=%PORT%( |$)
'

# Apps: component, jar, heap (-Xmx), heap committed at start (-Xms; "-": the JVM's default, grown on demand); the
# module's jvm.options (next to its target/) has its other JVM options. Started in this order, stopped in reverse. The
# api commits its whole heap: its reads' tail follows G1's young pauses, and a heap grown on demand kept eden small, so
# it paused about once a second (docs/architecture.md, decision 33).
APPS='
    poller   poller/target/dbmetrics-poller.jar             256m  -
    streams  streams-app/target/dbmetrics-streams-app.jar   512m  -
    api      query-api/target/dbmetrics-query-api.jar       256m  256m
'

SCRAPE_INTERVAL_SECONDS=5
DEV_TOKEN_ISSUER=dbmetrics-dev # `iss` of ./dbm token; the API that `up` starts checks it (AUTH_JWT_ISSUER)
POLL_INTERVAL=5s
APP_READY_TIMEOUT=90
# Short-lived JVMs of ./dbm (Kafka's StorageTool, create-topics, token): quick to start, small.
TOOL_JVM_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true)
FLEET_SCRAPE_INTERVAL=15s # the fleet simulator's targets (./dbm up --fleet N)
FLEET_MAX=100000

DBM_DIR=$ROOT/.dbm
PARTS=$ROOT/tools/dbm
TEMPLATES=$PARTS/templates
SECRET_FILE=$DBM_DIR/dev-jwt-secret

# ---------------------------------------------------------------------------------------------------------------------
# Output and small helpers

log() { printf '[dbm] %s\n' "$*" >&2; }
die() { printf '[dbm] error: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((ms / 1000)) $(( (ms % 1000) / 100 )); }

# joined ITEM...: the items separated by commas (a list of addresses for one variable).
joined() { local IFS=,; echo "$*"; }

# Rows of a table variable without blank lines.
rows() { sed -e '/^[[:space:]]*$/d' -e 's/^[[:space:]]*//' <<<"$1"; }

# render TEMPLATE NAME=VALUE...: the template file (relative to tools/dbm/templates) with every ${NAME} replaced by its
# value. A placeholder left without a value is a bug in the caller: fail rather than write a broken config.
render() {
  local file=$TEMPLATES/$1 text pair name left
  shift
  [[ -f $file ]] || die "no template $file"
  text=$(<"$file")
  for pair in "$@"; do
    name=${pair%%=*}
    text=${text//"\${$name}"/"${pair#*=}"}
  done
  # shellcheck disable=SC2016 # a literal ${NAME}
  left=$(grep -o '\${[A-Z_][A-Z0-9_]*}' <<<"$text" | sort -u | tr '\n' ' ') || true
  [[ -z $left ]] || die "template $1: no value for $left"
  printf '%s\n' "$text"
}

declare -A PORT_UP PORT_TEST
while read -r key up test _; do PORT_UP[$key]=$up; PORT_TEST[$key]=$test; done < <(rows "$PORT_TABLE")

DB_IDS=() DB_NAMES=() DB_ENGINES=() DB_DOMAINS=() DB_PROJECTS=() DB_PROCS=() DB_PORTKEYS=() DB_EXPORTERS=() DB_EXPORTER_PORTKEYS=()
while read -r id name engine domain project proc portkey exporter exporter_portkey; do
  DB_IDS+=("$id") DB_NAMES+=("$name") DB_ENGINES+=("$engine") DB_DOMAINS+=("$domain") DB_PROJECTS+=("$project")
  DB_PROCS+=("$proc") DB_PORTKEYS+=("$portkey") DB_EXPORTERS+=("$exporter") DB_EXPORTER_PORTKEYS+=("$exporter_portkey")
done < <(rows "$DEMO_DATABASES")

# The demo databases as the open-loop generator's --ids wants them: id:engine:domain/project,...
demo_ids() {
  local i out=()
  for i in "${!DB_IDS[@]}"; do out+=("${DB_IDS[$i]}:${DB_ENGINES[$i]}:${DB_DOMAINS[$i]}/${DB_PROJECTS[$i]}"); done
  joined "${out[@]}"
}

# ---------------------------------------------------------------------------------------------------------------------
# The stack a command works on (`up` or `test`): its paths and ports.

use_stack() {
  STACK=$1
  STACK_DIR=$DBM_DIR/$STACK
  RUN_DIR=$STACK_DIR/run
  LOG_DIR=$STACK_DIR/logs
  DATA_DIR=$STACK_DIR/data
}

port() {
  local p
  case $STACK in
    up) p=${PORT_UP[$1]:-} ;;
    test) p=${PORT_TEST[$1]:-} ;;
  esac
  [[ -n $p ]] || die "no port '$1' for stack '$STACK'"
  printf '%s' "$p"
}

# Whether this is the highly available `up` stack (./dbm up --ha).
ha() { [[ -f $RUN_DIR/ha ]]; }
# Whether the stack runs a Redis Cluster: always in the test stack, with `up --ha --redis-cluster` (then instead of
# Sentinel, and the apps use the cluster).
redis_cluster() { [[ $STACK == test || -f $RUN_DIR/redis-cluster ]]; }
# Whether the stack runs Redis with Sentinel: always in the test stack (its tests fail over), with `up --ha`.
redis_ha() { [[ $STACK == test ]] || { ha && [[ ! -f $RUN_DIR/redis-cluster ]]; }; }

# niceness COMPONENT: the CPU priority `launch` gives it. The --ha stack puts two dozen processes on one machine; there
# the serving path (load balancer, query APIs, Redis and its sentinels) runs at the default priority and the pipeline
# behind it (brokers, streams-apps, pollers, Prometheus, demo databases, exporters) at nice 10: the split separate
# machines, or a scheduler's CPU requests, give the tiers in production, so that a JVM starting or a broker catching
# up takes the pipeline's CPU and not the readers'. The pipeline keeps all the CPU the serving path leaves. The
# single-node stacks run everything at the default priority.
niceness() {
  if ! ha; then echo 0; return; fi
  case $1 in api | api-* | lb | redis | redis-replica | redis-cluster-* | sentinel-*) echo 0 ;; *) echo 10 ;; esac
}

# instances KIND COUNT: KIND, KIND-2, ... KIND-COUNT, one per line.
instances() {
  local n
  echo "$1"
  for ((n = 2; n <= $2; n++)); do echo "$1-$n"; done
}
# The kind of an app or broker instance (streams-3 -> streams) and its number (streams -> 1).
kind_of() { if [[ $1 =~ ^(kafka|poller|streams|api)-[0-9]+$ ]]; then echo "${1%-*}"; else echo "$1"; fi; }
instance_no() { if [[ $1 =~ ^(kafka|poller|streams|api)-([0-9]+)$ ]]; then echo "${BASH_REMATCH[2]}"; else echo 1; fi; }
# iport KEY COMPONENT: port KEY of that instance (KEY_N for instance N > 1; under --ha the API instances have
# api_N and api_management_N, the load balancer has api).
iport() {
  local n
  n=$(instance_no "$2")
  if ha && [[ $1 == api || $1 == api_management ]]; then port "${1}_$n"
  elif ((n > 1)); then port "${1}_$n"
  else port "$1"; fi
}
# ready_url INSTANCE: where a streams-app or API instance says whether it is ready (an API's as the load balancer
# checks it, on its public port).
ready_url() {
  case $(kind_of "$1") in
    streams) echo "http://127.0.0.1:$(iport streams_management "$1")/readyz" ;;
    api) echo "http://127.0.0.1:$(iport api "$1")/readyz" ;;
  esac
}

kafka_nodes() { if ha; then instances kafka "$HA_KAFKA_NODES"; else echo kafka; fi; }
# KAFKA_BOOTSTRAP_SERVERS of the stack: every broker.
kafka_bootstrap() {
  local c out=()
  for c in $(kafka_nodes); do out+=("127.0.0.1:$(iport kafka "$c")"); done
  joined "${out[@]}"
}

infra_components() {
  local i
  kafka_nodes
  echo redis
  if redis_ha; then echo redis-replica "${SENTINELS[@]}"; fi
  if redis_cluster; then redis_cluster_nodes; fi
  for i in "${!DB_IDS[@]}"; do echo "${DB_PROCS[$i]}" "${DB_EXPORTERS[$i]}"; done
  echo process-exporter
  [[ -f $RUN_DIR/fleet.size ]] && echo fleet
  echo prometheus
}
app_components() {
  if ha; then
    instances poller "$HA_POLLERS"; instances streams "$HA_STREAMS"; instances api "$HA_APIS"
  else
    rows "$APPS" | awk '{print $1}'
  fi
}
# app_instances KIND: the instances of one app (poller, streams or api) in this stack, one per line.
app_instances() {
  local c
  for c in $(app_components); do
    if [[ $(kind_of "$c") == "$1" ]]; then echo "$c"; fi
  done
}
# The components of the stack in start order (stopped in reverse): under --ha the load balancer comes last.
all_components() { infra_components | tr ' ' '\n'; app_components; if ha; then echo lb; fi; }

# db_index COMPONENT: index in the demo table of a database or exporter process, or fail.
db_index() {
  local i
  for i in "${!DB_IDS[@]}"; do
    if [[ ${DB_PROCS[$i]} == "$1" || ${DB_EXPORTERS[$i]} == "$1" ]]; then echo "$i"; return 0; fi
  done
  return 1
}

db_index_by_id() {
  local i
  for i in "${!DB_IDS[@]}"; do [[ ${DB_IDS[$i]} == "$1" ]] && { echo "$i"; return 0; }; done
  return 1
}

# How a client reaches a component: "key value" (key is bootstrap or url).
endpoint() {
  local c=$1 i
  case $c in
    kafka | kafka-[0-9]*) echo "bootstrap 127.0.0.1:$(iport kafka "$c")" ;;
    redis) echo "url rediss://127.0.0.1:$(port redis)" ;;
    redis-replica) echo "url rediss://127.0.0.1:$(port redis_replica)" ;;
    sentinel-*) echo "url rediss://127.0.0.1:$(sentinel_port "$c")" ;;
    redis-cluster-*) echo "url rediss://127.0.0.1:$(redis_cluster_port "$c")" ;;
    prometheus) echo "url https://127.0.0.1:$(port prometheus)" ;;
    poller | poller-[0-9]*) echo "url http://127.0.0.1:$(iport poller_management "$c")" ;;
    streams | streams-[0-9]*) echo "url http://127.0.0.1:$(iport streams_iq "$c")" ;;
    api | api-[0-9]*) echo "url http://127.0.0.1:$(iport api "$c")" ;;
    lb) echo "url http://127.0.0.1:$(port api)" ;;
    process-exporter) echo "url http://127.0.0.1:$(port process_exporter)/metrics" ;;
    fleet) echo "url http://127.0.0.1:$(port fleet)/metrics" ;;
    *)
      i=$(db_index "$c") || die "unknown component '$c'"
      if [[ $c == "${DB_PROCS[$i]}" ]]; then
        echo "url $(db_url "$i")"
      else
        echo "url http://127.0.0.1:$(port "${DB_EXPORTER_PORTKEYS[$i]}")/metrics"
      fi ;;
  esac
}

# metrics_path I: the API path of the metrics of demo database I.
metrics_path() {
  echo "/api/v1/domain/${DB_DOMAINS[$1]}/project/${DB_PROJECTS[$1]}/databases/${DB_IDS[$1]}/metrics"
}

db_url() {
  local i=$1 p
  p=$(port "${DB_PORTKEYS[$i]}")
  case ${DB_ENGINES[$i]} in
    postgresql) echo "postgresql://postgres@127.0.0.1:$p/postgres" ;;
    redis) echo "redis://127.0.0.1:$p" ;;
    mysql) echo "mysql://root@127.0.0.1:$p/" ;;
    *) die "no URL scheme for engine ${DB_ENGINES[$i]}" ;;
  esac
}
