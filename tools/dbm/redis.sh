# shellcheck shell=bash
# Sourced by ./dbm: Redis servers: the L2 cache of the apps (TLS only, ACL users of REDIS_ACL) and the demo Redis
# database (a monitored customer database: plain, on loopback).

# The ACL users of the L2 cache, one line of an ACL file each without the password (>PASSWORD is added from the
# stack's secrets; `default` is off, so there is no anonymous access):
#   streams    writes the snapshot keys dbm:* (the mirror, resync-redis): everything on them but @dangerous
#   api        reads dbm:*, writes only the rate-limit keys dbm:rl:* (scripts included; a script writing any other key
#              fails with NOPERM)
#   operator   reads
#   admin      everything (tests)
# (streams, api and operator may read a cluster's slot map, which a Cluster client asks for: CLUSTER SLOTS, SHARDS
# and NODES are @dangerous in Redis' categories but only describe the cluster)
#   replica    what a replica needs of its primary (every node of a replicated stack, since roles swap on failover)
#   sentinel   what Redis Sentinel needs of the nodes it watches and fails over (Redis' documented minimum)
REDIS_ACL='
    replica   -@all +psync +replconf +ping
    sentinel  allchannels -@all +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill
    streams   ~dbm:* resetchannels &dbm:feed:* +@all -@dangerous +cluster|slots +cluster|shards +cluster|nodes
    api       %R~dbm:* ~dbm:rl:* resetchannels &dbm:feed:* -@all +@read +@write +@scripting +@connection +subscribe +unsubscribe -@dangerous +cluster|slots +cluster|shards +cluster|nodes
    operator  %R~* resetchannels &dbm:feed:* -@all +@read +@connection +subscribe +unsubscribe +cluster|slots +cluster|shards +cluster|nodes
    admin     ~* &* +@all
'

# write_redis_acl FILE: the ACL file of the L2 cache (passwords as SHA-256, so the file holds no password).
write_redis_acl() {
  local user rules hash
  {
    echo "user default off"
    while read -r user rules; do
      hash=$(tr -d '\n' <"$(redis_password_file "$user")" | sha256sum | cut -d' ' -f1)
      echo "user $user on #$hash $rules"
    done < <(rows "$REDIS_ACL")
  } | write_private "$1"
}

# start_redis_server COMPONENT PORT MAXMEMORY: a plain Redis on loopback (the demo database)
start_redis_server() {
  local c=$1 p=$2 maxmemory=$3
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  mkdir -p "$DATA_DIR/$c"
  launch "$c" redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --maxmemory "$maxmemory" --maxmemory-policy allkeys-lru --dir "$DATA_DIR/$c"
  wait_until "$c" 20 "Redis on port $p" port_in_use "$p"
}

# TLS settings of every L2 node and sentinel: no plaintext port (port 0), TLS on PORT with the server certificate of
# the local CA (clients need no certificate of their own), replication and sentinel links over TLS too.
write_redis_tls_conf() {
  local p=$1 dir
  dir=$(secrets_dir)
  printf '%s\n' "port 0" "tls-port $p" "bind 127.0.0.1" "tls-cert-file $dir/redis.crt" "tls-key-file $dir/redis.key" \
    "tls-ca-cert-file $dir/ca.pem" "tls-auth-clients no" "tls-replication yes"
}

# start_redis_node COMPONENT PORT [PRIMARY_PORT [CONFIG_LINE...]]: a node of the L2 cache, users from REDIS_ACL; a
# replica of the node on PRIMARY_PORT when given (not empty); extra config lines after. Every node may be a replica
# after a failover, so each can authenticate to a primary (masteruser/masterauth in its private config, not on its
# command line).
start_redis_node() {
  local c=$1 p=$2 primary=${3:-} conf
  shift $(($# < 3 ? $# : 3))
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  mkdir -p "$DATA_DIR/$c"
  write_redis_acl "$DATA_DIR/$c/users.acl"
  conf=$DATA_DIR/$c/redis.conf
  {
    write_redis_tls_conf "$p"
    printf '%s\n' "aclfile $DATA_DIR/$c/users.acl" "save \"\"" "appendonly no" "maxmemory 256mb" \
      "maxmemory-policy allkeys-lru" "dir $DATA_DIR/$c" "masteruser replica" \
      "masterauth $(<"$(redis_password_file replica)")"
    [[ -z $primary ]] || echo "replicaof 127.0.0.1 $primary"
    (($# == 0)) || printf '%s\n' "$@"
  } | write_private "$conf"
  launch "$c" redis-server "$conf" --daemonize no
  wait_until "$c" 20 "Redis (TLS) on port $p" port_in_use "$p"
}

start_redis_cache() { start_redis_node redis "$(port redis)"; }

# Redis Cluster (the test stack: its tests run the apps on a cluster): six nodes of the L2 cache's kind (TLS on the
# client and the cluster bus, the users of REDIS_ACL), made into three primaries with a replica each.
REDIS_CLUSTER_SIZE=6
redis_cluster_nodes() { local n; for ((n = 1; n <= REDIS_CLUSTER_SIZE; n++)); do echo "redis-cluster-$n"; done; }
redis_cluster_port() { port "redis_cluster_${1#redis-cluster-}"; }
redis_cluster_addresses() {
  local c out=()
  for c in $(redis_cluster_nodes); do out+=("127.0.0.1:$(redis_cluster_port "$c")"); done
  joined "${out[@]}"
}

start_redis_cluster() {
  local c p started=0 addresses
  for c in $(redis_cluster_nodes); do
    is_running "$c" && continue
    p=$(redis_cluster_port "$c")
    rm -rf "${DATA_DIR:?}/$c"
    # the cluster bus port: port + 1000, not Redis' default port + 10000 (374xx for the test stack, inside Linux's
    # ephemeral range 32768-60999: a client connection's TIME-WAIT on 37404 once kept node 4 from starting)
    start_redis_node "$c" "$p" '' "cluster-enabled yes" "cluster-config-file $DATA_DIR/$c/nodes.conf" \
      "cluster-node-timeout 5000" "tls-cluster yes" "cluster-port $((p + 1000))"
    started=1
  done
  ((started)) || return 0
  addresses=$(redis_cluster_addresses)
  # shellcheck disable=SC2046 # one argument per node
  REDISCLI_AUTH=$(<"$(redis_password_file admin)") redis-cli --tls --cacert "$(ca_file)" --user admin \
    --cluster create $(tr ',' ' ' <<<"$addresses") --cluster-replicas 1 --cluster-yes \
    >>"$(logfile redis-cluster-1)" 2>&1 || fail_with_log redis-cluster-1 "redis-cli --cluster create failed"
  wait_until redis-cluster-1 30 "cluster_state:ok" redis_cluster_ok
}

redis_cluster_ok() {
  local c
  for c in $(redis_cluster_nodes); do
    REDISCLI_AUTH=$(<"$(redis_password_file admin)") redis-cli --tls --cacert "$(ca_file)" --user admin \
      -p "$(redis_cluster_port "$c")" cluster info | grep -q '^cluster_state:ok' || return 1
  done
}

# Redis Sentinel over the L2 cache (the test stack, and `up --ha`): a replica of `redis` and three sentinels that
# fail over to it. Clients find the primary through the sentinels (REDIS_SENTINELS, REDIS_SENTINEL_MASTER; the
# sentinels require the password redis-sentinels.password). sentinel_down_after: how long (ms) a primary may not answer
# before the sentinels agree it is down (the test stack waits long, so a busy machine never fails over unasked; its
# tests ask with SENTINEL FAILOVER).
REDIS_SENTINEL_MASTER=dbmetrics
SENTINELS=(sentinel-1 sentinel-2 sentinel-3)
sentinel_port() { port "sentinel_${1#sentinel-}"; }
redis_sentinel_addresses() {
  local s out=()
  for s in "${SENTINELS[@]}"; do out+=("127.0.0.1:$(sentinel_port "$s")"); done
  joined "${out[@]}"
}

sentinel_down_after() { if [[ $STACK == test ]]; then echo 30000; else echo 3000; fi; }

start_redis_sentinels() {
  local down_after=$1 s p conf
  start_redis_node redis-replica "$(port redis_replica)" "$(port redis)"
  for s in "${SENTINELS[@]}"; do
    is_running "$s" && { log "$s already running"; continue; }
    p=$(sentinel_port "$s")
    require_free_port "$s" "$p"
    mkdir -p "$DATA_DIR/$s"
    conf=$DATA_DIR/$s/sentinel.conf
    # Written anew at each start (a sentinel rewrites it with what it learns of peers, replicas and failovers; the
    # nodes start afresh as primary and replica, so that knowledge would be stale).
    {
      write_redis_tls_conf "$p"
      printf '%s\n' "dir $DATA_DIR/$s" "requirepass $(<"$(redis_password_file sentinels)")" \
        "sentinel sentinel-pass $(<"$(redis_password_file sentinels)")" \
        "sentinel monitor $REDIS_SENTINEL_MASTER 127.0.0.1 $(port redis) 2" \
        "sentinel auth-user $REDIS_SENTINEL_MASTER sentinel" \
        "sentinel auth-pass $REDIS_SENTINEL_MASTER $(<"$(redis_password_file sentinel)")" \
        "sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER $down_after" \
        "sentinel failover-timeout $REDIS_SENTINEL_MASTER 10000" \
        "sentinel parallel-syncs $REDIS_SENTINEL_MASTER 1"
    } | write_private "$conf"
    launch "$s" redis-server "$conf" --sentinel --daemonize no
  done
  for s in "${SENTINELS[@]}"; do wait_until "$s" 20 "Redis Sentinel (TLS) on port $(sentinel_port "$s")" port_in_use "$(sentinel_port "$s")"; done
}
