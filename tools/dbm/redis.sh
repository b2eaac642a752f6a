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
REDIS_ACL='
    streams   ~dbm:* resetchannels &dbm:feed:* +@all -@dangerous
    api       %R~dbm:* ~dbm:rl:* resetchannels &dbm:feed:* -@all +@read +@write +@scripting +@connection +subscribe +unsubscribe -@dangerous
    operator  %R~* resetchannels &dbm:feed:* -@all +@read +@connection +subscribe +unsubscribe
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

# The L2 cache: no plaintext port (--port 0), TLS on its port, server certificate of the local CA (clients need no
# certificate of their own), users from REDIS_ACL.
start_redis_cache() {
  local p dir
  p=$(port redis) dir=$(secrets_dir)
  is_running redis && { log "redis already running"; return 0; }
  require_free_port redis "$p"
  mkdir -p "$DATA_DIR/redis"
  write_redis_acl "$DATA_DIR/redis/users.acl"
  launch redis redis-server --port 0 --tls-port "$p" --bind 127.0.0.1 --tls-cert-file "$dir/redis.crt" \
    --tls-key-file "$dir/redis.key" --tls-ca-cert-file "$dir/ca.pem" --tls-auth-clients no \
    --aclfile "$DATA_DIR/redis/users.acl" --save '' --appendonly no --daemonize no --maxmemory 256mb \
    --maxmemory-policy allkeys-lru --dir "$DATA_DIR/redis"
  wait_until redis 20 "Redis (TLS) on port $p" port_in_use "$p"
}
