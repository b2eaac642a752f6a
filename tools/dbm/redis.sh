# shellcheck shell=bash
# Sourced by ./dbm: Redis servers, the L2 cache of the apps and the demo Redis database alike.

# start_redis_server COMPONENT PORT MAXMEMORY
start_redis_server() {
  local c=$1 p=$2 maxmemory=$3
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  mkdir -p "$DATA_DIR/$c"
  launch "$c" redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --maxmemory "$maxmemory" --maxmemory-policy allkeys-lru --dir "$DATA_DIR/$c"
  wait_until "$c" 20 "Redis on port $p" port_in_use "$p"
}

start_redis_cache() { start_redis_server redis "$(port redis)" 256mb; }
