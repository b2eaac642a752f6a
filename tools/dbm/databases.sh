# shellcheck shell=bash
# Sourced by ./dbm: the demo databases of DEMO_DATABASES (PostgreSQL, Redis, MariaDB), their exporters and
# process-exporter. start_db_ENGINE and start_exporter_ENGINE exist for every engine of the table.

# PostgreSQL refuses to run as root: it runs as the postgres user, which must be able to reach its directory. When the
# checkout is not reachable for that user (a private home or temp folder), its files live under /var/tmp instead, and
# the log in .dbm/<stack>/logs is a link to them.
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() {
  local d
  d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -x $d/initdb ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  echo "$d"
}
pg_home() {
  mkdir -p "$DATA_DIR"
  if ((EUID != 0)) || as_pg test -x "$DATA_DIR"; then
    echo "$DATA_DIR/$1"
  else
    echo "$(pg_fallback_base)/$1"
  fi
}
pg_fallback_base() { echo "/var/tmp/dbm-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"; }

start_db_postgresql() {
  local c=$1 p=$2 bin home pid
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  bin=$(pg_bin) home=$(pg_home "$c")
  mkdir -p "$home/data" "$home/socket" "$RUN_DIR" "$LOG_DIR"
  touch "$home/server.log"
  ((EUID == 0)) && chown -R postgres: "$home" && chmod 700 "$home/data"
  ln -sfn "$home/server.log" "$(logfile "$c")"
  echo "$home/data" >"$RUN_DIR/$c.pgdata"
  if [[ ! -f $home/data/PG_VERSION ]]; then
    as_pg "$bin/initdb" -D "$home/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >>"$home/server.log" 2>&1 \
      || fail_with_log "$c" "initdb failed"
  fi
  local socket=$home/socket
  ((${#socket} < 90)) || socket='' # a Unix socket path has ~107 bytes: go TCP-only when too deep
  # pg_ctl's own output goes after the server's in the same log
  # shellcheck disable=SC2094
  as_pg "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 -s \
    -o "-p $p -k '$socket' -c listen_addresses=127.0.0.1" start >>"$home/server.log" 2>&1 8>&- \
    || fail_with_log "$c" "PostgreSQL did not start"
  pid=$(head -n 1 "$home/data/postmaster.pid")
  record_pid "$c" "$pid"
}

pg_stop() {
  local c=$1 data
  data=$(<"$RUN_DIR/$c.pgdata")
  if [[ -f $data/postmaster.pid ]] && is_running "$c"; then
    log "stopping $c (pg_ctl stop -m fast)"
    as_pg "$(pg_bin)/pg_ctl" -D "$data" -m fast -w -t 10 -s stop >/dev/null 2>&1 || true
  fi
}

start_db_redis() { start_redis_server "$1" "$2" 64mb; }

# MariaDB (engine mysql) refuses to run as root without --user: it runs as the mysql user, whose data directory lives
# where that user can reach it (as for PostgreSQL). The exporter connects as root over the Unix socket.
as_mysql() { if ((EUID == 0)); then runuser -u mysql -- "$@"; else "$@"; fi; }
mariadb_home() {
  mkdir -p "$DATA_DIR"
  if ((EUID != 0)) || as_mysql test -x "$DATA_DIR"; then echo "$DATA_DIR/$1"; else echo "$(pg_fallback_base)/$1"; fi
}
mariadb_socket() { echo "$(mariadb_home "$1")/mysqld.sock"; }

start_db_mysql() {
  local c=$1 p=$2 home user=()
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  home=$(mariadb_home "$c")
  mkdir -p "$home/data" "$RUN_DIR" "$LOG_DIR"
  ((EUID == 0)) && user=(--user=mysql) && chown -R mysql: "$home"
  if [[ ! -d $home/data/mysql ]]; then
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$home/data" --auth-root-authentication-method=normal \
      --skip-test-db >>"$(logfile "$c")" 2>&1 || fail_with_log "$c" "mariadb-install-db failed"
  fi
  launch "$c" mariadbd --no-defaults "${user[@]}" --datadir="$home/data" --port="$p" --bind-address=127.0.0.1 \
    --socket="$(mariadb_socket "$c")" --pid-file="$home/mariadbd.pid" --skip-name-resolve --innodb-buffer-pool-size=32M \
    --performance-schema=OFF
  wait_until "$c" 30 "MariaDB on port $p" port_in_use "$p"
}

start_exporter_postgresql() {
  local c=$1 p=$2 dbport=$3
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  launch "$c" env DATA_SOURCE_NAME="postgresql://postgres@127.0.0.1:$dbport/postgres?sslmode=disable" \
    prometheus-postgres-exporter --web.listen-address="127.0.0.1:$p"
  wait_until "$c" 20 "metrics on port $p" http_ok "http://127.0.0.1:$p/metrics"
}

start_exporter_redis() {
  local c=$1 p=$2 dbport=$3
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  launch "$c" prometheus-redis-exporter --redis.addr="redis://127.0.0.1:$dbport" --web.listen-address="127.0.0.1:$p"
  wait_until "$c" 20 "metrics on port $p" http_ok "http://127.0.0.1:$p/metrics"
}

start_exporter_mysql() {
  local c=$1 p=$2 i
  is_running "$c" && { log "$c already running"; return 0; }
  require_free_port "$c" "$p"
  i=$(db_index "$c")
  launch "$c" env DATA_SOURCE_NAME="root@unix($(mariadb_socket "${DB_PROCS[$i]}"))/" \
    prometheus-mysqld-exporter --web.listen-address="127.0.0.1:$p" --collect.info_schema.tables
  wait_until "$c" 20 "metrics on port $p" http_ok "http://127.0.0.1:$p/metrics"
}

# process-exporter config: one group per row of PROCESS_GROUPS, named after the database id.
write_process_exporter_config() {
  local file=$1 id regex i
  {
    render process-exporter/config.yml STACK="$STACK"
    while read -r id regex; do
      i=$(db_index_by_id "$id") || die "PROCESS_GROUPS names unknown database $id"
      render process-exporter/group.yml DATABASE_ID="$id" \
        CMDLINE_REGEX="${regex//%PORT%/$(port "${DB_PORTKEYS[$i]}")}"
    done < <(rows "$PROCESS_GROUPS")
  } >"$file"
}

start_process_exporter() {
  local p dir
  p=$(port process_exporter) dir=$DATA_DIR/process-exporter
  is_running process-exporter && { log "process-exporter already running"; return 0; }
  require_free_port process-exporter "$p"
  mkdir -p "$dir"
  write_process_exporter_config "$dir/config.yml"
  launch process-exporter prometheus-process-exporter -config.path "$dir/config.yml" -threads=false \
    -web.listen-address "127.0.0.1:$p"
  wait_until process-exporter 20 "metrics on port $p" http_ok "http://127.0.0.1:$p/metrics"
}

start_demo_databases() {
  local i
  for i in "${!DB_IDS[@]}"; do
    "start_db_${DB_ENGINES[$i]}" "${DB_PROCS[$i]}" "$(port "${DB_PORTKEYS[$i]}")"
    "start_exporter_${DB_ENGINES[$i]}" "${DB_EXPORTERS[$i]}" "$(port "${DB_EXPORTER_PORTKEYS[$i]}")" \
      "$(port "${DB_PORTKEYS[$i]}")"
  done
  start_process_exporter
}
