#!/usr/bin/env bash
# Issue 16: what one API instance does when offered more than it can serve. The API is pinned to one core (taskset),
# the open-loop generator to the other; the workload is the users scenario's at 100,000 users (three demo databases,
# default rate limits, 64 connections, each user its own JWT).
#   1. Ramp: 5 s steps (after 2 s not counted) from 1,000 reads/s upward, x1.25 per step, until a step is saturated
#      (the generator could not send 99 % of the rate), its p99 exceeds 50 ms, or any answer is not 2xx; the sustained
#      rate S is the last good step. A step that fails on its p99 alone is run once more before it counts as bad: the
#      API's core is shared with the rest of the stack, and one 5 s p99 is one stray pause away from the bound.
#   2. One continuous run with a rate schedule (OpenLoopLoad --phases, the arrival process runs on across phases):
#      S/2 for 20 s (unloaded: its p99 is the reference), 2 x S for 30 s (overload), S/2 for 30 s (recovery).
# Reported: offered and answered rates per phase, the share refused (503) in the overload, the p99 of the admitted
# (2xx) reads in the overload against the unloaded p99, p99 and max latency of the 503 answers (from the intended send
# time), and the seconds after the drop until the per-second p99 of 2xx answers is back to <= the unloaded p99 for
# good. A 503 (with Retry-After) is a refusal, not an error; timeouts (10 s), connection errors and any other status
# are errors. Targets: admitted p99 in overload <= 5 x unloaded p99; every 503 within 10 ms; recovery <= 10 s.
#
#   ./dbm up && ./dbm bench overload
#   OVERLOAD_PHASE_SECONDS="5 5 5" OVERLOAD_RAMP_SECONDS=2 OVERLOAD_JIT_SECONDS=3 ./dbm bench overload   # a smoke run
#
# Knobs: OVERLOAD_USERS (100000), OVERLOAD_CONNECTIONS (64), OVERLOAD_API_HEAP (256m, as ./dbm up), OVERLOAD_API_CPU (1)
# and OVERLOAD_GEN_CPU (0): the cores; OVERLOAD_JIT_RATES ("500 1500") and OVERLOAD_JIT_SECONDS (30 each: the fresh
# API's JIT warm-up, not counted; 30: one core compiles slowly); OVERLOAD_RAMP_START (1000), OVERLOAD_RAMP_FACTOR
# (1.25), OVERLOAD_RAMP_SECONDS (5), OVERLOAD_RAMP_WARMUP (2), OVERLOAD_RAMP_MAX_STEPS (20), OVERLOAD_RAMP_P99_MS (50); OVERLOAD_RATE (S: skips the ramp
# when set); OVERLOAD_PHASE_SECONDS ("20 30 30": unloaded, overload, recovery), OVERLOAD_FACTOR (2), OVERLOAD_WARMUP
# (5 s at S/2 before the schedule, not counted); OVERLOAD_API_CPU_QUOTA (none: a share of one core in percent, e.g. 25)
# and OVERLOAD_API_CPU_PERIOD_US (2000): the API's process in a cgroup of its own with that CPU quota per period (cgroup
# v1 cpu.cfs_quota_us or v2 cpu.max; needs root) once its JIT warm-up is done: a smaller instance whose twice-sustained
# rate one generator core can still send; a short period keeps each throttled stretch short (at most period - quota;
# the kernel's least quota is 1000 µs); OVERLOAD_API_ENV (more VAR=value settings of the API, e.g.
# "API_MAX_CONCURRENT_REQUESTS=4 API_MAX_QUEUED_REQUESTS=16"). No REPEATS: the schedule is one continuous run (the
# ramp's steps and the per-second series show its noise).
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

USERS=${OVERLOAD_USERS:-100000}
CONNECTIONS=${OVERLOAD_CONNECTIONS:-64}
API_HEAP=${OVERLOAD_API_HEAP:-256m}
API_CPU=${OVERLOAD_API_CPU:-1}
GEN_CPU=${OVERLOAD_GEN_CPU:-0}
read -ra JIT_RATES <<<"${OVERLOAD_JIT_RATES:-500 1500}"
# 30 s each, not the users scenario's 10: on one core the JIT compiles on the core that serves, and after 2 x 10 s the
# first ramp step (1,000/s) still had a p99 of 422 ms (2026-12-02), after 2 x 30 s 10.5 ms
JIT_SECONDS=${OVERLOAD_JIT_SECONDS:-30}
RAMP_START=${OVERLOAD_RAMP_START:-1000}
RAMP_FACTOR=${OVERLOAD_RAMP_FACTOR:-1.25}
RAMP_SECONDS=${OVERLOAD_RAMP_SECONDS:-5}
RAMP_WARMUP=${OVERLOAD_RAMP_WARMUP:-2}
RAMP_MAX_STEPS=${OVERLOAD_RAMP_MAX_STEPS:-20}
RAMP_P99_MS=${OVERLOAD_RAMP_P99_MS:-50}
read -ra PHASE_SECONDS <<<"${OVERLOAD_PHASE_SECONDS:-20 30 30}"
FACTOR=${OVERLOAD_FACTOR:-2}
WARMUP=${OVERLOAD_WARMUP:-5}
TOKEN_IAT=$(date +%s)
GEN_LAG_IS_RESULT=1 # a lagging run is marked (lag p99 shown), not dropped: see gen_run
FLEET=0
[[ -f .dbm/up/run/fleet.size ]] && FLEET=$(<.dbm/up/run/fleet.size)
((${#PHASE_SECONDS[@]} == 3)) || { echo "OVERLOAD_PHASE_SECONDS wants three numbers" >&2; exit 1; }

CPU_QUOTA=${OVERLOAD_API_CPU_QUOTA:-}
CPU_PERIOD_US=${OVERLOAD_API_CPU_PERIOD_US:-2000}

# api_cgroup DIR: creates the cgroup DIR limited to CPU_QUOTA % of one core per CPU_PERIOD_US (v1 or v2)
api_cgroup() {
  local quota_us=$((CPU_PERIOD_US * CPU_QUOTA / 100))
  ((quota_us >= 1000)) || { echo "a CPU quota of $quota_us µs per period is below the kernel's 1000 µs: raise" \
    "OVERLOAD_API_CPU_PERIOD_US to at least $((100000 / CPU_QUOTA))" >&2; exit 1; }
  if [[ $1 != /sys/fs/cgroup/cpu/* ]]; then # v2 (see CGROUP below)
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
    mkdir "$1" && echo "$quota_us $CPU_PERIOD_US" >"$1/cpu.max"
  else
    mkdir "$1" && echo "$CPU_PERIOD_US" >"$1/cpu.cfs_period_us" && echo "$quota_us" >"$1/cpu.cfs_quota_us"
  fi || { echo "OVERLOAD_API_CPU_QUOTA needs a cgroup CPU controller this user may write (root)" >&2; exit 1; }
}

# remove_cgroup DIR: once the processes in it are gone (bench_cleanup kills them; they take a moment to exit)
remove_cgroup() {
  local _
  for _ in $(seq 1 50); do [[ -d $1 ]] || return 0; rmdir "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "could not remove the cgroup $1" >&2
}

API_CMD_PREFIX="taskset -c $API_CPU"
if [[ -n $CPU_QUOTA ]]; then
  # v2 has one hierarchy (its root lists its controllers), v1 one per controller
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then CGROUP=/sys/fs/cgroup; else CGROUP=/sys/fs/cgroup/cpu; fi
  CGROUP+=/dbm-bench-api-$$
  trap 'bench_cleanup; remove_cgroup "$CGROUP"' EXIT
  api_cgroup "$CGROUP"
fi
GEN_JAVA=(taskset -c "$GEN_CPU" "${GEN_JAVA[@]}")
read -ra API_ENV <<<"${OVERLOAD_API_ENV:-}"
port=$(start_api overload "${DEFAULT_LIMITS[@]}" "${API_ENV[@]}")
pid=$(<"$WORK/api-overload.pid")
echo "API on $port (pid $pid, $(taskset -cp "$pid")), heap $API_HEAP, limits ${DEFAULT_LIMITS[*]} ${API_ENV[*]};" \
  "generator on core $GEN_CPU; fleet of the up stack: $FLEET databases" >&2
common=(--url "http://127.0.0.1:$port" --ids "$DEMO_IDS" --users "$USERS" --connections "$CONNECTIONS"
        --secret-file .dbm/dev-jwt-secret --token-iat "$TOKEN_IAT")
for r in "${JIT_RATES[@]}"; do
  out=$("${GEN_JAVA[@]}" --rate "$r" --seconds "$JIT_SECONDS" --warmup 0 "${common[@]}" 2>&1) || true
  echo "JIT warm-up at $r/s: $(grep -E '^(views|NOT VALID|SATURATED|Exception)' <<<"$out" | head -2)" >&2
done
# the quota from here on: the JIT compiled with the whole core (a smaller instance is not a colder one; warmed at 20 %
# of a core, the first ramp step, 1,000 reads/s, had a p99 of 130 ms)
if [[ -n $CPU_QUOTA ]]; then
  echo "$pid" >"$CGROUP/cgroup.procs" # every thread of the process (v1 and v2)
  grep -q ":/${CGROUP##*/}\$" "/proc/$pid/cgroup" || { echo "the API (pid $pid) is not in $CGROUP" >&2; exit 1; }
  echo "API (pid $pid) from now on in $CGROUP: $CPU_QUOTA % of a core per $CPU_PERIOD_US µs" >&2
fi

# 1. the ramp
ramp_rows=()
S=${OVERLOAD_RATE:-}
if [[ -z $S ]]; then
  rate=$RAMP_START
  retried=0
  for ((step = 1; step <= RAMP_MAX_STEPS; step++)); do
    echo "ramp step $step: $rate reads/s" >&2
    line=$(gen_run --rate "$rate" --seconds "$RAMP_SECONDS" --warmup "$RAMP_WARMUP" --seed "$step" "${common[@]}")
    check_answers "$line" "API at $rate reads/s" "401 403 404"
    sat=$(field "$line" saturated)
    p99=$(field "$line" p99_ms)
    errors=$(field "$line" errors)
    good=$(awk -v s="$sat" -v p="$p99" -v e="$errors" -v t="$RAMP_P99_MS" \
      'BEGIN { print (s != "true" && e == 0) ? (p <= t ? "good" : "p99") : "bad" }')
    if [[ $good == p99 ]] && ((retried == 0)); then
      retried=1
      good="p99 over $RAMP_P99_MS ms: run again"
    elif [[ $good == p99 ]]; then
      good=bad
    fi
    row="| $rate | $(field "$line" sent_rate) | $(field "$line" p50_ms) | $p99 | $(field "$line" max_ms) | $errors"
    row+=" ($(field "$line" status_503) × 503, $(field "$line" status_429) × 429, $(field "$line" timeouts) timeouts)"
    ramp_rows+=("$row | $sat | $(field "$line" lag_p99_ms) | $good |")
    [[ $good == bad ]] && break
    [[ $good == good ]] || continue
    retried=0
    S=$rate
    rate=$(awk -v r="$rate" -v f="$RAMP_FACTOR" 'BEGIN { printf "%.0f", r * f }')
  done
fi

emit "Overload of one API instance (issue 16): the query-api jar (this worktree's build) pinned to core $API_CPU"
[[ -z $CPU_QUOTA ]] || emit "and, after its JIT warm-up, limited to $CPU_QUOTA % of it (a cgroup of its own:" \
  "$((CPU_PERIOD_US * CPU_QUOTA / 100)) µs of CPU per $CPU_PERIOD_US µs; OVERLOAD_API_CPU_QUOTA, OVERLOAD_API_CPU_PERIOD_US)"
emit "(\`taskset -c $API_CPU\`, heap $API_HEAP committed at start and query-api/jvm.options as ./dbm up runs the api,"
emit "DEFAULT rate limits: per user 100/min, per database 1000/min, global off), the open-loop generator pinned to"
emit "core $GEN_CPU (the rest of the up stack, fleet $FLEET databases, runs on both); $USERS users with their own JWTs"
emit "over the three demo databases, $CONNECTIONS keep-alive connections, latency from each read's intended send time;"
emit "JIT warm-up at ${JIT_RATES[*]} reads/s for ${JIT_SECONDS} s each first (not counted)."
((${#API_ENV[@]} == 0)) || emit "API settings beyond the defaults (OVERLOAD_API_ENV): \`${API_ENV[*]}\`."
emit
if ((${#ramp_rows[@]} > 0)); then
  emit "Ramp (${RAMP_SECONDS} s per step after ${RAMP_WARMUP} s not counted, ×$RAMP_FACTOR from $RAMP_START reads/s; a step is"
  emit "good when not saturated, p99 ≤ $RAMP_P99_MS ms and every answer 2xx):"
  emit
  emit "| offered reads/s | sent/s | p50 ms | p99 ms | max ms | errors | saturated | gen. lag p99 ms | step |"
  emit "|---|---|---|---|---|---|---|---|---|"
  for r in "${ramp_rows[@]}"; do emit "$r"; done
  emit
fi
if [[ -z $S ]]; then
  emit "The instance sustained none of the ramp's steps (not even $RAMP_START reads/s): no overload run."
  exit 0
fi
emit "Sustained rate S = **$S reads/s**${OVERLOAD_RATE:+ (given: OVERLOAD_RATE)}."
emit

# 2. the schedule: S/2, FACTOR x S, S/2
low=$(awk -v s="$S" 'BEGIN { printf "%.0f", s / 2 }')
high=$(awk -v s="$S" -v f="$FACTOR" 'BEGIN { printf "%.0f", s * f }')
phases="$low:${PHASE_SECONDS[0]},$high:${PHASE_SECONDS[1]},$low:${PHASE_SECONDS[2]}"
echo "schedule $phases (rate:seconds) after $WARMUP s at $low/s" >&2
out=$(GEN_KEEP='phase|second|result' gen_run --phases "$phases" --warmup "$WARMUP" --seed 1 "${common[@]}")
line=$(grep '^result ' <<<"$out")
check_answers "$line" "API, schedule $phases" "401 403 404"
declare -A P # P[phase,key]
while read -r _ kv; do
  i=$(field "$kv" index)
  for k in rate seconds start_s offered_rate sent_rate ok_rate refused_rate refused_share refused refused_no_retry_after \
           errors p50_ok_ms p99_ok_ms max_ok_ms p99_refused_ms max_refused_ms; do
    P[$i,$k]=$(field "$kv" "$k")
  done
done < <(grep '^phase ' <<<"$out")
grep '^second ' <<<"$out" >"$WORK/seconds.txt"

unloaded=${P[0,p99_ok_ms]}
admitted=${P[1,p99_ok_ms]}
drop=${P[2,start_s]}
end=$((drop + ${P[2,seconds]}))
# recovered THRESHOLD -> seconds after the drop from which every second to the end has 2xx answers with a p99 <=
# THRESHOLD (a second with no 2xx answer is not recovered), or "none"
recovered() {
  awk -v d="$drop" -v e="$end" -v th="$1" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      t = v["t"]; if (t < d || t >= e) next
      if (v["ok"] > 0 && v["p99_ok_ms"] <= th) { if (from < 0) from = t } else from = -1 }
    BEGIN { from = -1 } END { if (from < 0) print "none"; else print from - d }' "$WORK/seconds.txt"
}
rec=$(recovered "$unloaded")
# the spread of the per-second p99 while unloaded: how often a quiet second is above the unloaded phase's own p99
read -r unl_above unl_max <<<"$(awk -v e="${P[0,seconds]}" -v th="$unloaded" '{ for (i = 2; i <= NF; i++) {
    split($i, kv, "="); v[kv[1]] = kv[2] } if (v["t"] >= e) next
    if (v["p99_ok_ms"] > th) a++; if (v["p99_ok_ms"] > m) m = v["p99_ok_ms"] } END { print a + 0, m + 0 }' "$WORK/seconds.txt")"
rec_range=$(recovered "$unl_max")
max503=$(awk -v a="${P[0,max_refused_ms]}" -v b="${P[1,max_refused_ms]}" -v c="${P[2,max_refused_ms]}" \
  'BEGIN { m = a; if (b > m) m = b; if (c > m) m = c; print m }')
refused_all=$((${P[0,refused]} + ${P[1,refused]} + ${P[2,refused]}))
no_retry=$((${P[0,refused_no_retry_after]} + ${P[1,refused_no_retry_after]} + ${P[2,refused_no_retry_after]}))

emit "Schedule (one continuous run, \`--phases $phases\`, after $WARMUP s at $low/s not counted). Rates are of the reads"
emit "offered in the phase (a read belongs to the phase, and second, in which it was due); answered = 2xx + 503."
emit
emit "| phase | offered reads/s | sent/s | answered/s | 2xx/s | 503/s | refused share | errors | 2xx p50 ms | 2xx p99 ms | 2xx max ms | 503 p99 ms | 503 max ms |"
emit "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
names=("unloaded (S/2)" "overload (${FACTOR}×S)" "recovery (S/2)")
for i in 0 1 2; do
  emit "| ${names[i]}, ${P[$i,seconds]} s | ${P[$i,offered_rate]} | ${P[$i,sent_rate]} |" \
    "$(awk -v a="${P[$i,ok_rate]}" -v b="${P[$i,refused_rate]}" 'BEGIN { printf "%.1f", a + b }') |" \
    "${P[$i,ok_rate]} | ${P[$i,refused_rate]} | $(awk -v s="${P[$i,refused_share]}" 'BEGIN { printf "%.1f %%", 100 * s }') |" \
    "${P[$i,errors]} | ${P[$i,p50_ok_ms]} | ${P[$i,p99_ok_ms]} | ${P[$i,max_ok_ms]} | ${P[$i,p99_refused_ms]} |" \
    "${P[$i,max_refused_ms]} |"
done
emit
emit "Generator: $(field "$line" saturated | sed 's/true/saturated (requests waited for a free connection)/;s/false/not saturated/'),"
emit "lag p99 $(field "$line" lag_p99_ms) ms, CPU $(field "$line" gen_cpu_cores) cores; errors by kind over the"
non2xx_list=$(tr ' ' '\n' <<<"$line" | grep '^status_' | paste -sd' ' || true)
emit "schedule: timeouts $(field "$line" timeouts), connection $(field "$line" conn_errors), non-2xx statuses:" \
  "${non2xx_list:-none} (503 with no Retry-After: $no_retry)."
emit

verdict() { awk -v c="$1" 'BEGIN { print c ? "met" : "not met" }'; }
if awk -v o="${P[1,offered_rate]}" -v s="${P[1,sent_rate]}" -v r="${P[1,refused]}" -v e="${P[1,errors]}" \
    'BEGIN { exit !(s >= 0.99 * o && r == 0 && e == 0) }'; then
  emit "**Note:** ${FACTOR} × S did not overload the instance in throughput: it answered all ${P[1,offered_rate]} reads/s" \
    "2xx (p99 $admitted ms) and the generator sent ≥ 99 % of them on time (no lasting queue for a connection). S was set" \
    "by the ramp's p99 bound ($RAMP_P99_MS ms in one ${RAMP_SECONDS} s step), below what the instance can take; the" \
    "verdicts below then say little about overload (raise OVERLOAD_FACTOR or OVERLOAD_RATE)."
  emit
fi
emit "Target (admitted p99 in overload ≤ 5 × unloaded p99): **$(verdict "$(awk -v a="$admitted" -v u="$unloaded" \
  'BEGIN { print (a <= 5 * u && a > 0) }')")** — $admitted ms vs 5 × $unloaded ms (ratio $(ratio "$admitted" "$unloaded"))."
if ((refused_all > 0)); then
  emit "Target (every 503 answered within 10 ms): **$(verdict "$(awk -v m="$max503" 'BEGIN { print (m <= 10) }')")** —" \
    "$refused_all answers 503, max $max503 ms, p99 in the overload ${P[1,p99_refused_ms]} ms."
else
  emit "Target (every 503 answered within 10 ms): **not met** — the API refused nothing (no 503 at all): it queued" \
    "the overload instead."
fi
if [[ $rec == none ]]; then
  emit "Target (recovery ≤ 10 s): **not met** — the per-second p99 of 2xx answers did not stay ≤ the unloaded p99" \
    "($unloaded ms) within the ${P[2,seconds]} s after the drop (not within ${P[2,seconds]} s)."
else
  emit "Target (recovery ≤ 10 s): **$(verdict "$((rec <= 10))")** — $rec s after the drop the per-second p99 of 2xx" \
    "answers is ≤ the unloaded p99 ($unloaded ms) and stays there."
fi
emit "(How strict that is: in the unloaded phase itself $unl_above of ${P[0,seconds]} seconds had a per-second p99 above" \
  "the phase's p99, the highest $unl_max ms; back within that range for good: $([[ $rec_range == none ]] &&
    echo "not within ${P[2,seconds]} s" || echo "$rec_range s after the drop").)"
emit
emit "<details><summary>Per second (t from the start of the schedule; reads by the second they were due)</summary>"
emit
emit "| t | phase | offered | sent | 2xx | 503 | errors | 2xx p99 ms | 2xx max ms | 503 p99 ms | 503 max ms |"
emit "|---|---|---|---|---|---|---|---|---|---|---|"
while read -r _ kv; do
  emit "| $(field "$kv" t) | $(field "$kv" phase) | $(field "$kv" offered) | $(field "$kv" sent) | $(field "$kv" ok) |" \
    "$(field "$kv" refused) | $(field "$kv" errors) | $(field "$kv" p99_ok_ms) | $(field "$kv" max_ok_ms) |" \
    "$(field "$kv" p99_refused_ms) | $(field "$kv" max_refused_ms) |"
done <"$WORK/seconds.txt"
emit
emit "</details>"
