# shellcheck shell=bash
# Sourced by ./dbm: process supervision. Every component has a pidfile "pid starttime" in .dbm/<stack>/run (the start
# time from /proc guards against pid reuse) and a log in .dbm/<stack>/logs.

pidfile() { echo "$RUN_DIR/$1.pid"; }
logfile() { echo "$LOG_DIR/$1.log"; }

proc_starttime() {
  local stat rest f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }
  read -ra f <<<"$rest"
  [[ ${f[0]} != Z ]] || return 1 # a zombie is dead
  echo "${f[19]}"
}

# running_pid COMPONENT: prints the pid if the component's process is alive.
running_pid() {
  local pid start now
  [[ -f $(pidfile "$1") ]] || return 1
  read -r pid start <"$(pidfile "$1")" || true
  [[ -n ${pid:-} ]] || return 1
  now=$(proc_starttime "$pid") || return 1
  [[ -z ${start:-} || $now == "$start" ]] || return 1
  echo "$pid"
}
is_running() { running_pid "$1" >/dev/null; }

record_pid() {
  local start
  start=$(proc_starttime "$2") || die "$1 (pid $2) died at once; see $(logfile "$1")"
  echo "$2 $start" >"$(pidfile "$1")"
}

# launch COMPONENT CMD...: run CMD in the background in its own session at the component's CPU priority (niceness),
# output to the component's log.
launch() {
  local c=$1; shift
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  printf '\n===== %s: starting %s\n' "$(date -u +%FT%TZ)" "$c" >>"$(logfile "$c")"
  (exec setsid nice -n "$(niceness "$c")" "$@" </dev/null >>"$(logfile "$c")" 2>&1 8>&-) & # 8: the test lock stays with ./dbm only
  record_pid "$c" $!
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
  if port_in_use "$2"; then die "cannot start $1: port $2 is already in use by another process (see ./dbm help)"; fi
}

fail_with_log() {
  local c=$1; shift
  log "$*"
  log "last lines of $(logfile "$c"):"
  tail -n 30 "$(logfile "$c")" >&2 2>/dev/null || true
  exit 1
}

# wait_until COMPONENT TIMEOUT_S WHAT CMD...: poll CMD until it succeeds; fail early if the component dies.
wait_until() {
  local c=$1 timeout=$2 what=$3; shift 3
  local deadline=$(( $(now_ms) + timeout * 1000 ))
  until "$@" >/dev/null 2>&1; do
    is_running "$c" || fail_with_log "$c" "$c exited before $what"
    (( $(now_ms) < deadline )) || fail_with_log "$c" "$c: no $what after ${timeout}s"
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

signal_group() {
  local sig=$1 pid=$2 pgid
  pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || true
  if [[ $pgid == "$pid" ]]; then kill "-$sig" -- "-$pid" 2>/dev/null || true; else kill "-$sig" "$pid" 2>/dev/null || true; fi
}

# stop_component COMPONENT: SIGTERM (PostgreSQL: pg_ctl stop -m fast), up to 10 s, then SIGKILL.
stop_component() {
  local c=$1 pid i
  if [[ -f $RUN_DIR/$c.pgdata ]]; then pg_stop "$c"; fi
  if ! pid=$(running_pid "$c"); then rm -f "$(pidfile "$c")"; return 0; fi
  log "stopping $c (pid $pid)"
  signal_group TERM "$pid"
  for ((i = 0; i < 100; i++)); do is_running "$c" || break; sleep 0.1; done
  if is_running "$c"; then
    log "$c did not stop within 10 s: killing it"
    signal_group KILL "$pid"
    for ((i = 0; i < 50; i++)); do is_running "$c" || break; sleep 0.1; done
  fi
  rm -f "$(pidfile "$c")"
}

stack_down() {
  use_stack "$1"
  local c
  [[ -d $RUN_DIR ]] || return 0
  for c in $(all_components | tac); do stop_component "$c"; done
}
