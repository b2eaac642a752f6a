# shellcheck shell=bash
# Sourced by ./dbm: `./dbm chaos SCENARIO|all|list [--json]`: faults injected into the stack of `./dbm up --ha` while
# the open-loop generator reads and the pollers keep publishing; one row per scenario, printed and written to
# RELIABILITY.md (with the command and the machine facts).
#
# First the stack settles (chaos_settle). One scenario: the generator (com.dbmetrics.bench.OpenLoopLoad) offers
# CHAOS_RATE reads/s of the three demo databases from CHAOS_USERS users through the load balancer, in three measured
# phases after CHAOS_WARMUP s: steady (CHAOS_STEADY s), fault (the fault's hold + CHAOS_HEAL s, which covers the
# heal: SIGCONT or a restart) and after (CHAOS_AFTER s). The fault begins with the second phase. Meanwhile a watcher
# reads each demo database through the load balancer twice a second with curl (status, event time, staleness) and
# asks Prometheus for the firing alerts every 2 s. After the run: for each database, each API instance's answer must equal the newest snapshot in
# dbmetrics.latest.v1 and in dbmetrics.snapshots.v1 (read with kcat), within CHAOS_CONVERGE s (nothing lost), and no
# answer of the watcher may be older than one it got before (nothing regressed).

CHAOS_RATE=300
CHAOS_USERS=1000
CHAOS_WARMUP=15
CHAOS_SETTLE_S=20
CHAOS_SETTLE_ROUNDS=15
CHAOS_SETTLE_P99_MS=250
CHAOS_STEADY=60
CHAOS_HEAL=15
CHAOS_AFTER=30
CHAOS_CONVERGE=30
# Fresh: answered 200, not stale, event time at most this old (two poll intervals; POLL_INTERVAL is 5s).
CHAOS_FRESH_AGE_S=10
# The goal for fresh data after a fault ends: 2 x interval + 10 s.
CHAOS_FRESH_GOAL_S=20

# name, hold (s), what happens. streams-rolling has no hold: the fault is the rolling restart, however long it takes.
CHAOS_SCENARIOS='
    broker-kill      20  kill -9 of Kafka broker kafka-2; started again after the hold
    broker-stop      30  SIGSTOP of Kafka broker kafka-2 (a slow broker); SIGCONT after the hold
    redis-failover   20  kill -9 of the Redis primary (Sentinel promotes the replica); started again after the hold as a replica of the new primary
    redis-stop       20  SIGSTOP of the Redis primary (Sentinel fails over after 3 s); SIGCONT after the hold (it rejoins as a replica)
    prometheus-stop  60  SIGSTOP of Prometheus; SIGCONT after the hold
    streams-kill     20  kill -9 of streams-app instance streams-2; started again after the hold
    streams-stop     20  SIGSTOP of streams-app instance streams-2; SIGCONT after the hold
    poller-stop      30  SIGSTOP of the active poller (the other takes over); SIGCONT after the hold
    api-kill         20  kill -9 of query-api instance api-2 behind the load balancer; started again after the hold
    streams-rolling   0  rolling restart of the three streams-app instances (SIGTERM, start, ready, next)
'
# Scenarios whose data is all in L1, Redis or the streams-app: no client timeout is acceptable.
CHAOS_NO_TIMEOUTS=" broker-kill broker-stop redis-failover redis-stop prometheus-stop "

chaos_scenarios() { rows "$CHAOS_SCENARIOS" | awk '{print $1}'; }
chaos_hold() { rows "$CHAOS_SCENARIOS" | awk -v n="$1" '$1 == n { print $2 }'; }
chaos_what() { rows "$CHAOS_SCENARIOS" | awk -v n="$1" '$1 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'; }

# Which component a scenario hits, chosen when the fault begins.
redis_primary() {
  local p
  p=$(REDISCLI_AUTH=$(<"$(redis_password_file sentinels)") redis-cli --tls --cacert "$(ca_file)" \
    -p "$(sentinel_port sentinel-1)" sentinel get-master-addr-by-name "$REDIS_SENTINEL_MASTER" | sed -n 2p)
  if [[ $p == "$(port redis)" ]]; then echo redis; else echo redis-replica; fi
}
active_poller() {
  local c
  for c in $(app_instances poller); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$(iport poller_management "$c")/metrics" | grep -q '^dbm_poller_active 1'; then
      echo "$c"; return 0
    fi
  done
  die "no active poller"
}
chaos_target() {
  case $1 in
    broker-*) echo kafka-2 ;;
    redis-*) redis_primary ;;
    prometheus-*) echo prometheus ;;
    streams-kill | streams-stop) echo streams-2 ;;
    poller-*) active_poller ;;
    api-*) echo api-2 ;;
    streams-rolling) echo streams ;;
  esac
}

# restart COMPONENT: start a killed component again as `up` starts it (a Redis node as a replica of the primary now).
chaos_restart() {
  local c=$1 other
  case $c in
    # a broker's JVM start and log recovery on the loaded machine took 36-74 s (its raft follower timing out meanwhile)
    kafka | kafka-*) launch_kafka_node "$c"; wait_until "$c" 180 "Kafka listener" port_in_use "$(iport kafka "$c")" ;;
    redis | redis-replica)
      if [[ $c == redis ]]; then other=redis-replica; else other=redis; fi
      start_redis_node "$c" "$(port "${c/-/_}")" "$(port "${other/-/_}")" ;;
    *) start_apps ;;
  esac
}

chaos_fault() {
  local name=$1 c=$2 pid
  pid=$(running_pid "$c") || die "$c is not running: the scenario needs the whole --ha stack (./dbm up --ha)"
  case $name in
    *-kill | redis-failover) signal_group KILL "$pid" ;;
    *-stop) signal_group STOP "$pid" ;;
    streams-rolling)
      local s
      for s in $(app_instances streams); do
        stop_component "$s"
        start_apps
        wait_until "$s" 180 "readiness" http_ok "$(ready_url "$s")"
      done ;;
  esac
}

chaos_heal() {
  local name=$1 c=$2 pid
  case $name in
    *-stop) pid=$(running_pid "$c") && signal_group CONT "$pid" ;;
    *-kill | redis-failover) chaos_restart "$c" ;;
  esac
}

# chaos_watch FILE TOKENS_FILE: every 0.5 s, each demo database through the load balancer: "ms database status
# event_time_s stale user" lines (event time in epoch seconds, - when the answer had none). Each round as the next
# user of TOKENS_FILE (one token per line, user = its index), so no watcher user reaches the per-user rate limit.
chaos_watch() {
  local file=$1 tokens=() dir args=() i round=0
  mapfile -t tokens <"$2"
  dir=$(dirname "$file")
  for i in "${!DB_IDS[@]}"; do
    args+=("http://127.0.0.1:$(port api)$(metrics_path "$i")"
      -o "$dir/watch.$i.json")
  done
  while :; do
    local ms codes token user
    ms=$(now_ms)
    user=$((round % ${#tokens[@]}))
    token=${tokens[round++ % ${#tokens[@]}]} # (not inside $(...), whose increment would stay in the subshell)
    codes=$(curl -s --max-time 2 -H "Authorization: Bearer $token" -w '%{http_code}\n' "${args[@]}" || true)
    i=0
    while read -r code; do
      printf '%s %s %s %s %s\n' "$ms" "${DB_IDS[$i]}" "${code:-000}" \
        "$(jq -r 'try ([(.timestamp | fromdateiso8601 | tostring), (.stale // false | tostring)] | join(" ")) catch "- -"' \
          "$dir/watch.$i.json" 2>/dev/null || echo '- -')" "$user" >>"$file"
      rm -f "$dir/watch.$i.json"
      i=$((i + 1))
    done <<<"$codes"
    sleep 0.5
  done
}

# chaos_alerts FILE: every 2 s, "ms alertname" of each firing alert (one "ms -" line when none fires).
chaos_alerts() {
  local file=$1 ms names
  while :; do
    ms=$(now_ms)
    names=$(prom_curl -s --max-time 2 --data-urlencode 'query=ALERTS{alertstate="firing"}' \
      "https://127.0.0.1:$(port prometheus)/api/v1/query" | jq -r '.data.result[].metric.alertname' 2>/dev/null || true)
    if [[ -z $names ]]; then echo "$ms -" >>"$file"; else awk -v ms="$ms" '{ print ms, $0 }' <<<"$names" >>"$file"; fi
    sleep 2
  done
}

# newest_in_topic TOPIC: "database_id event_time" of the newest record per database in the last records of each
# partition (kcat, as the operator).
newest_in_topic() {
  timeout 20 kcat -F "$(kcat_config)" -C -t "$1" -o -30 -e -q -f '%k\t%s\n' 2>/dev/null \
    | awk -F'\t' '{ if (match($2, /"timestamp":"[^"]*"/)) { t = substr($2, RSTART + 13, RLENGTH - 14); if (t > max[$1]) max[$1] = t } }
      END { for (k in max) print k, max[k] }' | sort
}

# api_newest TOKENS_FILE: "instance database_id event_time" of each demo database as each API instance answers it
# (each request as the next user of TOKENS_FILE).
api_newest() {
  local tokens=() c i n=0 token
  mapfile -t tokens <"$1"
  for c in $(app_instances api); do
    for i in "${!DB_IDS[@]}"; do
      token=${tokens[n++ % ${#tokens[@]}]}
      printf '%s %s %s\n' "$c" "${DB_IDS[$i]}" "$(curl -s --max-time 3 -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$(iport api "$c")$(metrics_path "$i")" \
        | jq -r '.timestamp // "-"' 2>/dev/null || echo -)"
    done
  done
}

# chaos_converged TOKENS_FILE: succeeds when, for every demo database, both topics' newest records and every API instance's
# answer have the same event time; prints the three views otherwise.
chaos_converged() {
  local latest snapshots api id want
  latest=$(newest_in_topic dbmetrics.latest.v1)
  snapshots=$(newest_in_topic dbmetrics.snapshots.v1)
  api=$(api_newest "$1")
  for id in "${DB_IDS[@]}"; do
    want=$(awk -v k="$id" '$1 == k { print $2 }' <<<"$snapshots")
    [[ -n $want && $(awk -v k="$id" '$1 == k { print $2 }' <<<"$latest") == "$want" ]] || { echo "$id: snapshots $want, latest $(awk -v k="$id" '$1 == k { print $2 }' <<<"$latest")"; return 1; }
    if awk -v k="$id" -v w="$want" '$2 == k && $3 != w { bad = 1 } END { exit !bad }' <<<"$api"; then
      echo "$id: newest snapshot $want, API answers $(awk -v k="$id" '$2 == k { printf "%s=%s ", $1, $3 }' <<<"$api")"
      return 1
    fi
  done
}

# chaos_run NAME JSON_ROWS_FILE MD_ROWS_FILE: one scenario, its row appended to both files.
chaos_run() {
  local name=$1 json_rows=$2 md_rows=$3 hold dir target fault_ms heal_ms end_ms gen_pid watch_pid alerts_pid
  hold=$(chaos_hold "$name")
  dir=$DBM_DIR/chaos/$name
  rm -rf "$dir"; mkdir -p "$dir"
  local fault_s=$((hold + CHAOS_HEAL))
  [[ $name == streams-rolling ]] && fault_s=150
  log "chaos $name: $(chaos_what "$name"); load $CHAOS_RATE reads/s, phases ${CHAOS_STEADY}s steady, ${fault_s}s fault, ${CHAOS_AFTER}s after"
  chaos_watch "$dir/watch.log" "$CHAOS_TOKENS" & watch_pid=$!
  chaos_alerts "$dir/alerts.log" & alerts_pid=$!
  chaos_load "$CHAOS_WARMUP" "$CHAOS_RATE:$CHAOS_STEADY,$CHAOS_RATE:$fault_s,$CHAOS_RATE:$CHAOS_AFTER" \
    >"$dir/generator.log" 2>&1 &
  gen_pid=$!
  sleep $((CHAOS_WARMUP + CHAOS_STEADY))
  target=$(chaos_target "$name")
  fault_ms=$(now_ms)
  log "chaos $name: fault on $target"
  chaos_fault "$name" "$target"
  if ((hold > 0)); then sleep "$hold"; fi
  chaos_heal "$name" "$target"
  heal_ms=$(now_ms)
  log "chaos $name: healed after $(( (heal_ms - fault_ms) / 1000 )) s"
  wait "$gen_pid" || true
  # the watcher sees at least the goal's time for fresh data after the heal, however long the heal took
  local until_ms=$((heal_ms + (CHAOS_FRESH_GOAL_S + 10) * 1000))
  if (($(now_ms) < until_ms)); then sleep "$(( (until_ms - $(now_ms)) / 1000 + 1 ))"; fi
  end_ms=$(now_ms)
  kill "$watch_pid" "$alerts_pid" 2>/dev/null || true
  wait "$watch_pid" "$alerts_pid" 2>/dev/null || true
  local converge_s=-1 t0 i why=''
  t0=$(now_ms)
  for ((i = 0; i < CHAOS_CONVERGE; i++)); do
    if why=$(chaos_converged "$CHAOS_TOKENS"); then converge_s=$(( ($(now_ms) - t0) / 1000 )); break; fi
    sleep 1
  done
  [[ -z $why || $converge_s -ge 0 ]] || log "chaos $name: not converged after ${CHAOS_CONVERGE}s: $why"
  chaos_row "$name" "$target" "$dir" "$fault_ms" "$heal_ms" "$end_ms" "$converge_s" "$hold" >>"$json_rows"
  chaos_markdown_row "$(tail -1 "$json_rows")" >>"$md_rows"
  chaos_markdown_row "$(tail -1 "$json_rows")" >&2
}

# chaos_load WARMUP_S PHASES: the open-loop generator's reads through the load balancer (see OpenLoopLoad --phases).
chaos_load() {
  java -Xms256m -Xmx512m -cp "$ROOT/$FLEET_JAR" com.dbmetrics.bench.OpenLoopLoad --url "http://127.0.0.1:$(port api)" \
    --ids "$(demo_ids)" --users "$CHAOS_USERS" --secret-file "$SECRET_FILE" --issuer "$DEV_TOKEN_ISSUER" \
    --connections 32 --timeout 2 --warmup "$1" --max-lag-ms 200 --phases "$2"
}

# chaos_all_fresh: every demo database answers fresh through the load balancer (200, not stale, event time at most
# CHAOS_FRESH_AGE_S old), as the watcher counts it.
chaos_all_fresh() {
  local i token answer
  token=$(head -1 "$CHAOS_TOKENS")
  for i in "${!DB_IDS[@]}"; do
    answer=$(curl -fsS --max-time 2 -H "Authorization: Bearer $token" "http://127.0.0.1:$(port api)$(metrics_path "$i")") \
      || return 1
    jq -e --argjson max "$CHAOS_FRESH_AGE_S" '(.stale // false) == false
      and (now - (.timestamp | fromdateiso8601)) <= $max' <<<"$answer" >/dev/null || return 1
  done
}

# chaos_settle: before the first scenario, every app instance ready, then rounds of CHAOS_SETTLE_S s of the
# scenarios' read load (not measured) until one answers everything with a p99 of at most CHAOS_SETTLE_P99_MS and every
# demo database answers fresh (at most CHAOS_SETTLE_ROUNDS rounds; the rows then show the unsettled stack). A stack
# just started (JVMs compiling, streams-apps restoring, Redis' fresh keys not yet written) is not the steady state a
# fault is compared with: right after `./dbm up --ha` on a fresh clone the first minute of reads had a p50 of 7.7 s.
chaos_settle() {
  local c round result p99 errors
  for c in $(app_instances streams) $(app_instances api); do
    wait_until "$c" 180 "readiness" http_ok "$(ready_url "$c")"
  done
  for ((round = 1; round <= CHAOS_SETTLE_ROUNDS; round++)); do
    chaos_load 5 "$CHAOS_RATE:$CHAOS_SETTLE_S" >"$DBM_DIR/chaos/settle.log" 2>&1 || true
    result=$(grep '^result ' "$DBM_DIR/chaos/settle.log" || true)
    p99=$(grep -o ' p99_ms=[0-9.]*' <<<"$result" | cut -d= -f2)
    errors=$(grep -o ' errors=[0-9]*' <<<"$result" | cut -d= -f2)
    log "chaos: settling, round $round: ${CHAOS_SETTLE_S}s of reads, p99 ${p99:-?} ms, errors ${errors:-?}"
    if [[ -n $p99 && $errors == 0 ]] && awk -v p="$p99" -v b="$CHAOS_SETTLE_P99_MS" 'BEGIN { exit !(p <= b) }' \
        && chaos_all_fresh; then
      return 0
    fi
  done
  log "chaos: the stack did not settle in $CHAOS_SETTLE_ROUNDS rounds; the rows measure it as it is"
}

# chaos_row ...: the scenario's measurements as one JSON object.
chaos_row() {
  local name=$1 target=$2 dir=$3 fault_ms=$4 heal_ms=$5 end_ms=$6 converge_s=$7 hold=$8 result phases
  result=$(grep '^result ' "$dir/generator.log" || echo 'result valid=false')
  phases=$(grep '^phase ' "$dir/generator.log" || true)
  python3 - "$name" "$target" "$dir" "$fault_ms" "$heal_ms" "$end_ms" "$converge_s" "$hold" "$CHAOS_FRESH_AGE_S" \
    "$CHAOS_FRESH_GOAL_S" "$CHAOS_NO_TIMEOUTS" "$result" "$phases" "$(chaos_what "$name")" <<'PY'
import json, sys
(name, target, d, fault_ms, heal_ms, end_ms, converge_s, hold, fresh_age, fresh_goal, no_timeouts, result, phases,
 what) = sys.argv[1:15]
fault_ms, heal_ms, end_ms, converge_s, fresh_age, fresh_goal = (int(fault_ms), int(heal_ms), int(end_ms),
                                                                int(converge_s), int(fresh_age), int(fresh_goal))
kv = lambda line: dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
r = kv(result)
ph = [kv(l) for l in phases.splitlines() if l.strip()]
num = lambda m, k: float(m.get(k, 0) or 0)
five_xx = sum(int(v) for k, v in r.items() if k.startswith("status_5"))
status_429 = int(r.get("status_429", 0))
other = sum(int(v) for k, v in r.items() if k.startswith("status_") and not k.startswith("status_5")
            and k != "status_429")
# the watcher: fresh again, regressions, worst age during the fault
last = {}
fresh_ms = None
regressions = 0
worst_age = 0.0
watch_5xx = 0
newest = {}
dbs = set()
for line in open(d + "/watch.log"):
    p = line.split()
    if len(p) < 5:
        continue
    ms, db, code, ts, stale = int(p[0]), p[1], p[2], p[3], p[4]
    user = p[5] if len(p) > 5 else "-"
    dbs.add(db)
    if code.startswith("5"):
        watch_5xx += 1
    ok = code == "200" and ts != "-"
    if ok:
        t = int(ts)
        # a reader (one user) must never be given an older snapshot of a database than it was given before
        if t < newest.get((user, db), 0):
            regressions += 1
        newest[(user, db)] = max(newest.get((user, db), 0), t)
        age = ms / 1000 - t
        if fault_ms <= ms <= heal_ms + 60000:
            worst_age = max(worst_age, age)
        last[db] = stale == "false" and age <= fresh_age
    else:
        last[db] = False
    if ms >= heal_ms and fresh_ms is None and dbs and all(last.get(x) for x in dbs):
        fresh_ms = ms
fresh_s = None if fresh_ms is None else round((fresh_ms - heal_ms) / 1000, 1)
# alerts: first firing after the fault began, and whether still firing at the end
first, final, before = {}, set(), set()
last_ms = 0
rows = [l.split() for l in open(d + "/alerts.log") if l.strip()]
for ms, n in ((int(a), b) for a, b in rows):
    if ms > last_ms:
        if last_ms < fault_ms <= ms:
            before = set(final)  # what fired in the last sample before the fault
        last_ms, final = ms, set()
    if n != "-":
        final.add(n)
        if ms >= fault_ms and n not in first and n not in before:
            first[n] = round((ms - fault_ms) / 1000)
alerts = ", ".join("%s +%ds%s" % (n, s, "" if n not in final else " (still firing)") for n, s in sorted(first.items(), key=lambda x: x[1])) or "none"
if before:
    alerts += "; firing before the fault: " + ", ".join(sorted(before))
steady_p99 = num(ph[0], "p99_ok_ms") if ph else 0
fault_p99 = num(ph[1], "p99_ok_ms") if len(ph) > 1 else 0
goals = []
if five_xx or watch_5xx:
    goals.append("5xx")
if converge_s < 0:
    goals.append("not converged")
if regressions:
    goals.append("regressed")
if (" %s " % name) in no_timeouts and int(r.get("timeouts", 0)):
    goals.append("timeouts")
if steady_p99 and fault_p99 > 5 * steady_p99:
    goals.append("p99 %.0fx" % (fault_p99 / steady_p99))
if fresh_s is None or fresh_s > fresh_goal:
    goals.append("fresh after %s" % ("never" if fresh_s is None else "%s s" % fresh_s))
row = {
    "scenario": name, "fault": what, "target": target, "hold_s": int(hold),
    "fault_to_heal_s": round((heal_ms - fault_ms) / 1000, 1),
    "rate": float(r.get("rate", 0)), "views": int(r.get("views", 0)), "ok_views": int(r.get("ok_views", 0)),
    "errors_5xx": five_xx, "errors_429": status_429, "errors_other_status": other,
    "timeouts": int(r.get("timeouts", 0)), "connection_errors": int(r.get("conn_errors", 0)),
    "watch_5xx": watch_5xx,
    "steady_p50_ms": num(ph[0], "p50_ok_ms") if ph else 0, "steady_p99_ms": steady_p99,
    "fault_p50_ms": num(ph[1], "p50_ok_ms") if len(ph) > 1 else 0, "fault_p99_ms": fault_p99,
    "after_p50_ms": num(ph[2], "p50_ok_ms") if len(ph) > 2 else 0,
    "after_p99_ms": num(ph[2], "p99_ok_ms") if len(ph) > 2 else 0,
    "worst_age_s": round(worst_age, 1), "fresh_again_s": fresh_s, "regressions": regressions,
    "converged_after_s": converge_s, "alerts": alerts, "generator_valid": r.get("valid") == "true",
    "goals_met": not goals, "goals_missed": goals,
}
print(json.dumps(row))
PY
}

chaos_markdown_row() {
  jq -r '"| \(.scenario) | \(.target) | \(.errors_5xx) / \(.timeouts) / \(.errors_429) / \(.connection_errors) | "
    + "\(.steady_p99_ms) | \(.fault_p50_ms) / \(.fault_p99_ms) | \(.after_p50_ms) / \(.after_p99_ms) | "
    + "\(.worst_age_s) | \(.fresh_again_s // "never") | \(.regressions) | "
    + "\(if .converged_after_s >= 0 then "yes (\(.converged_after_s) s)" else "NO" end) | \(.alerts) | "
    + "\(if .goals_met then "met" else "missed: " + (.goals_missed | join(", ")) end) |"' <<<"$1"
}

# stack_rss_mb: resident memory of every running component of the stack together, MB.
stack_rss_mb() {
  local c p pids=()
  for c in $(all_components); do
    if p=$(running_pid "$c"); then pids+=("$p"); fi
  done
  ps -o rss= -p "$(joined "${pids[@]}")" | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
}

CHAOS_TABLE_HEAD='| scenario | hit | 5xx / timeouts / 429 / conn. errors | steady p99 ms | fault p50 / p99 ms | after p50 / p99 ms | worst age s | fresh again s after heal | regressions | converged | alerts (s after fault) | goals |
|---|---|---|---|---|---|---|---|---|---|---|---|'

# chaos_write_reliability MD_ROWS COMMAND: RELIABILITY.md: the rows of this run replace the rows of the same scenarios
# (rows of scenarios not run stay, with the run they came from named in the notes).
chaos_write_reliability() {
  local rows=$1 command=$2 rss
  rss=$(stack_rss_mb)
  python3 - "$ROOT/RELIABILITY.md" "$rows" "$command" "$(machine_facts)" "$rss" "$(date -u +%Y-%m-%dT%H:%MZ)" \
    "$CHAOS_TABLE_HEAD" <<'PY'
import re, sys
path, rows_file, command, machine, rss, when, head = sys.argv[1:8]
new = [l.rstrip("\n") for l in open(rows_file) if l.startswith("| ")]
try:
    text = open(path).read()
except FileNotFoundError:
    text = ""
old = {}
m = re.search(r"<!-- chaos:rows -->\n(.*?)<!-- /chaos:rows -->", text, re.S)
if m:
    for l in m.group(1).splitlines():
        if l.startswith("| ") and not l.startswith("| scenario "):
            old[l.split("|")[1].strip()] = l
for l in new:
    old[l.split("|")[1].strip()] = l
table = head + "\n" + "\n".join(old[k] for k in old) + "\n"
section = ("<!-- chaos:rows -->\nLast run %s: `%s` on %s; RSS of the whole --ha stack at the end: %s MB.\n\n%s"
           "<!-- /chaos:rows -->" % (when, command, machine, rss, table))
if m:
    text = text[:m.start()] + section + text[m.end():]
else:
    text = (text.rstrip("\n") + "\n\n" if text else "# Reliability\n\n") + section + "\n"
open(path, "w").write(text)
PY
}

cmd_chaos() {
  local what=${1:-} json=0 names=() name
  [[ -n $what ]] || die "usage: ./dbm chaos SCENARIO|all|list [--json]   (scenarios: $(chaos_scenarios | tr '\n' ' '))"
  shift
  while (($#)); do
    case $1 in
      --json) json=1 ;;
      *) die "chaos: unknown argument '$1'" ;;
    esac
    shift
  done
  if [[ $what == list ]]; then
    rows "$CHAOS_SCENARIOS"; return 0
  fi
  if [[ $what == all ]]; then mapfile -t names < <(chaos_scenarios); else names=("$what"); fi
  for name in "${names[@]}"; do
    [[ -n $(chaos_hold "$name") ]] || die "no chaos scenario '$name' (scenarios: $(chaos_scenarios | tr '\n' ' '))"
  done
  use_stack up
  ha || die "chaos runs against the highly available stack: ./dbm down, then ./dbm up --ha"
  local c
  for c in $(all_components); do is_running "$c" || die "$c is not running: ./dbm up --ha first"; done
  install_for bench
  ensure_fleet_jar
  mkdir -p "$DBM_DIR/chaos"
  CHAOS_TOKENS=$DBM_DIR/chaos/tokens
  local i
  for ((i = 0; i < 6; i++)); do
    mint_token --user "chaos-watch-$i" --ttl 7200 --tenant "${DB_DOMAINS[0]}/${DB_PROJECTS[0]}"
  done >"$CHAOS_TOKENS"
  local json_rows=$DBM_DIR/chaos/rows.json md_rows=$DBM_DIR/chaos/rows.md
  : >"$json_rows"; : >"$md_rows"
  chaos_settle
  echo "$CHAOS_TABLE_HEAD" >&2
  for name in "${names[@]}"; do
    chaos_run "$name" "$json_rows" "$md_rows"
    # the next scenario starts on a whole stack: everything running, Redis' roles settled
    for c in $(all_components); do is_running "$c" || die "$c is not running after scenario $name"; done
    sleep 5
  done
  chaos_write_reliability "$md_rows" "./dbm chaos $what"
  log "RELIABILITY.md updated"
  if ((json)); then jq -s . "$json_rows"; else echo "$CHAOS_TABLE_HEAD"; cat "$md_rows"; fi
}
