#!/usr/bin/env bash
# Issue 16: "a read costs the same whether 10,000 or 1,000,000 distinct people are reading". The open-loop generator at
# a fixed rate (3,333 reads/s: the prior design's 100,000 users each reading every 30 s) over the three demo databases
# of ./dbm up, read by 10,000, 100,000 and 1,000,000 distinct users (each its own JWT), with the API's DEFAULT rate
# limits (per user 100/min, per database 1000/min, global off: not lib.sh's HIGH_LIMITS, whose 1000-permit leases hide
# the limiter's cost per user), 64 connections; next to the plain Javalin endpoint of lib.sh at the same rate in the
# same run. Each users-count gets a FRESH API process (its caches hold only that run's users), JIT-warmed at 500 then
# 1,500 reads/s (not counted); after its measured run the heap it holds after a full GC is recorded, so that
# (heap at 1M users - heap at 10k users) / 990,000 reads as bytes per user.
#
#   ./dbm up && ./dbm bench users
#   REPEATS=1 USERS_SECONDS=5 USERS_WARMUP=3 USERS_JIT_SECONDS=3 ./dbm bench users      # a smoke run
#
# Knobs: REPEATS (3), USERS_COUNTS ("10000 100000 1000000"), USERS_RATE (3333), USERS_SECONDS (40 measured),
# USERS_WARMUP (10, not counted, at the measured rate), USERS_JIT_RATES ("500 1500") and USERS_JIT_SECONDS (10 each:
# the fresh API's JIT warm-up), USERS_CONNECTIONS (64), USERS_API_HEAP (256m: what ./dbm up gives the api),
# GEN_MAX_LAG_MS (25, _generator.sh), USERS_API_ENV (more VAR=value settings of the API, e.g.
# "METRICS_RATE_LIMIT_ADMIT_AHEAD=false" for the limiter that waits for every lease).
#
# Every run of one scenario issues its tokens at the same time (OpenLoopLoad --token-iat), so a user sends the same
# token in the warm-up runs and in the measured run, as a dashboard keeps its token for its session. 429 answers are
# counted and shown (a correct limiter refuses none: the busiest users read 20/min < 100/min), not a failure; 401, 403
# and 404 mean misconfiguration and fail the scenario.
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

read -ra COUNTS <<<"${USERS_COUNTS:-10000 100000 1000000}"
RATE=${USERS_RATE:-3333}
MEASURE=${USERS_SECONDS:-40}
WARMUP=${USERS_WARMUP:-10}
read -ra JIT_RATES <<<"${USERS_JIT_RATES:-500 1500}"
JIT_SECONDS=${USERS_JIT_SECONDS:-10}
CONNECTIONS=${USERS_CONNECTIONS:-64}
API_HEAP=${USERS_API_HEAP:-256m}
read -ra API_ENV <<<"${USERS_API_ENV:-}"
TOKEN_IAT=$(date +%s)
# a run in which the generator lagged (the API took the cores) stays in the table, marked; see gen_run
GEN_LAG_IS_RESULT=1
FLEET=0
[[ -f .dbm/up/run/fleet.size ]] && FLEET=$(<.dbm/up/run/fleet.size)
PLAIN_USERS=$(printf '%s\n' "${COUNTS[@]}" | sort -n | tail -1)
MIN_USERS=$(printf '%s\n' "${COUNTS[@]}" | sort -n | head -1)

curl -fsS -H "Authorization: Bearer $TOKEN" "$API_URL$DEMO_PATH" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")
echo "plain Javalin on $PLAIN, body $(wc -c <"$WORK/body.json") bytes; API heap $API_HEAP, limits ${DEFAULT_LIMITS[*]} ${API_ENV[*]}," \
  "fleet of the up stack: $FLEET databases" >&2

common=(--ids "$DEMO_IDS" --connections "$CONNECTIONS" --secret-file .dbm/dev-jwt-secret --token-iat "$TOKEN_IAT")

# jit_warm PORT USERS: the warm-up runs of a fresh server (not counted; their summary goes to the log)
jit_warm() {
  local r out
  for r in "${JIT_RATES[@]}"; do
    out=$("${GEN_JAVA[@]}" --url "http://127.0.0.1:$1" --rate "$r" --seconds "$JIT_SECONDS" --warmup 0 --users "$2" \
      "${common[@]}" 2>&1) || true
    echo "JIT warm-up at $r/s, $2 users: $(grep -E '^(views|NOT VALID|SATURATED|Exception)' <<<"$out" | head -2)" >&2
  done
}

declare -A R # R[users|plain,metric] = space-separated values of the repeats
add() { R[$1,$2]="${R[$1,$2]:-} $3"; }
METRICS=(sent_rate p50_ms p99_ms p999_ms max_ms errors non2xx status_429 timeouts conn_errors layer_L1 layer_L2
         layer_IQ layer_STALE lag_p99_ms gen_cpu_cores)

jit_warm "$PLAIN" "$PLAIN_USERS"
for ((rep = 1; rep <= REPEATS; rep++)); do
  echo "repeat $rep: plain Javalin, $PLAIN_USERS users" >&2
  line=$(gen_run --url "http://127.0.0.1:$PLAIN" --rate "$RATE" --seconds "$MEASURE" --warmup "$WARMUP" \
    --users "$PLAIN_USERS" --seed "$rep" "${common[@]}")
  add plain saturated "$([[ $(field "$line" saturated) == true ]] && echo 1 || echo 0)"
  add plain lagging "$([[ $(field "$line" valid) == false ]] && echo 1 || echo 0)"
  for m in "${METRICS[@]}"; do add plain "$m" "$(field "$line" "$m")"; done
  for n in "${COUNTS[@]}"; do # interleaved with the baseline, each users-count on a fresh API
    name="users-$n-$rep"
    port=$(start_api "$name" "${DEFAULT_LIMITS[@]}" "${API_ENV[@]}")
    pid=$(<"$WORK/api-$name.pid")
    echo "repeat $rep: API on $port (pid $pid, fresh), $n users: JIT warm-up at ${JIT_RATES[*]}/s" >&2
    jit_warm "$port" "$n"
    echo "repeat $rep: API, $n users, $RATE reads/s measured" >&2
    cpu0=$(cpu_ticks "$pid")
    line=$(gen_run --url "http://127.0.0.1:$port" --rate "$RATE" --seconds "$MEASURE" --warmup "$WARMUP" --users "$n" \
      --seed "$rep" "${common[@]}")
    cpu1=$(cpu_ticks "$pid")
    check_answers "$line" "API, $n users" "401 403 404"
    none=$(field "$line" layer_none)
    awk -v n="$none" 'BEGIN { exit !(n > 0) }' && { echo "API answers without X-Cache: not the API?" >&2; exit 1; }
    add "$n" saturated "$([[ $(field "$line" saturated) == true ]] && echo 1 || echo 0)"
    add "$n" lagging "$([[ $(field "$line" valid) == false ]] && echo 1 || echo 0)"
    for m in "${METRICS[@]}"; do add "$n" "$m" "$(field "$line" "$m")"; done
    # API CPU per read over the whole measured run (warm-up seconds included, background work included)
    add "$n" cpu_us "$(awk -v t="$((cpu1 - cpu0))" -v hz="$CLK_TCK" -v r="$RATE" -v s="$((WARMUP + MEASURE))" \
      'BEGIN { printf "%.1f", t / hz * 1e6 / (r * s) }')"
    heap=$(heap_after_gc "$pid")
    rss=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$pid/status")
    add "$n" heap "$heap"
    add "$n" rss "$rss"
    echo "repeat $rep, $n users: $line; API heap after full GC $heap bytes, RSS $rss bytes" >&2
    stop_api "$name"
  done
done

pct() { awk -v v="$1" 'BEGIN { printf "%.1f", 100 * v }'; }
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
cell() { fmt_stats "$1" ${R[$2,$3]}; }
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
median() { read -r m _ _ <<<"$(stats ${R[$1,$2]})"; echo "$m"; }
sum_of() { echo "${R[$1,$2]:-}" | tr ' ' '\n' | awk '{ s += $1 } END { print s + 0 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
cell_mb() { read -r m lo hi <<<"$(stats ${R[$1,$2]})"; printf '%s [%s–%s]' "$(mb "$m")" "$(mb "$lo")" "$(mb "$hi")"; }

emit "Distinct readers (issue 16): the open-loop generator (lib.sh conventions: latency from each read's intended send"
emit "time, HdrHistogram, $CONNECTIONS keep-alive connections, timeout 10 s) at $RATE reads/s over the three demo databases"
emit "(pg-demo-1, redis-demo-1, mariadb-demo-1; acme/shop; Zipf popularity), each read by a random one of N users with"
emit "its own HS256 JWT (the same token for a user in every run of the scenario). ${MEASURE} s measured after ${WARMUP} s"
emit "not counted. The API: the real query-api jar (this worktree's build) against the up stack's Redis and streams-app,"
emit "authentication on, the DEFAULT rate limits (per user 100/min, per database 1000/min, global off: leases of 2"
emit "permits, so the limiter's per-user cost shows), heap $API_HEAP committed at start and query-api/jvm.options (as"
emit "./dbm up runs the api, decision 33); a FRESH process per"
emit "users-count and repeat, JIT-warmed at ${JIT_RATES[*]} reads/s for ${JIT_SECONDS} s each (not counted). Baseline in"
emit "the same run: the same generator at the same rate against lib.sh's plain Javalin endpoint returning the same bytes"
emit "(no auth, no limits, no cache), with $PLAIN_USERS users (above 100,000 users the generator mints each token per"
emit "request: its most expensive mode). Median [min–max] over $REPEATS runs, interleaved (plain, then each users-count)."
emit "Errors: non-2xx (429 included), timeouts and connection errors, summed over the runs. \"API CPU\": the API process'"
emit "user + system CPU over the measured run (warm-up seconds included) per read sent. \"heap\": the API's heap in use"
emit "after a full GC (jcmd GC.run, GC.heap_info) right after its measured run. Up stack fleet: $FLEET databases."
emit "\"saturated\": requests waited for a free connection and < 99 % of the rate was sent; \"generator lagging\": its lag"
emit "p99 exceeded ${GEN_MAX_LAG_MS:-25} ms because the API took the cores both share (the run is kept and marked: the lag"
emit "is part of every latency, so it can only make the row worse)."
emit
emit "| users | reads/user/min | what | sent req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors (429 / timeouts / conn.) | L1 / L2 / IQ % | gen. lag p99 ms | gen. CPU cores | API CPU µs/read | heap after GC MB |"
emit "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
row() { # KEY USERS LABEL
  local k=$1 sat lag note="" layers="–" cpu="–" heap="–"
  sat=$(sum_of "$k" saturated)
  lag=$(sum_of "$k" lagging)
  ((sat == 0)) || note=" (saturated in $sat of $REPEATS)"
  ((lag == 0)) || note+=" (generator lagging in $lag of $REPEATS)"
  if [[ $k != plain ]]; then
    layers="$(pct "$(median "$k" layer_L1)") / $(pct "$(median "$k" layer_L2)") / $(pct "$(median "$k" layer_IQ)")"
    cpu=$(cell %.1f "$k" cpu_us)
    heap=$(cell_mb "$k" heap)
  fi
  emit "| $2 | $(awk -v n="$2" -v r="$RATE" 'BEGIN { printf "%.1f", r * 60 / n }') | $3 | $(cell %.0f "$k" sent_rate)$note |" \
    "$(cell %.2f "$k" p50_ms) | $(cell %.2f "$k" p99_ms) | $(cell %.2f "$k" p999_ms) | $(cell %.1f "$k" max_ms) |" \
    "$(sum_of "$k" errors) ($(sum_of "$k" status_429) / $(sum_of "$k" timeouts) / $(sum_of "$k" conn_errors)) |" \
    "$layers | $(cell %.2f "$k" lag_p99_ms) | $(cell %.2f "$k" gen_cpu_cores) | $cpu | $heap |"
}
row plain "$PLAIN_USERS" "baseline: plain Javalin, same bytes"
for n in "${COUNTS[@]}"; do row "$n" "$n" "API (auth + default limits + L1/L2/IQ)"; done
emit

refused=0
for n in "${COUNTS[@]}"; do refused=$((refused + $(sum_of "$n" status_429))); done
if ((refused > 0)); then
  emit "**429 answers: $refused** over the API runs, although no user reads more than" \
    "$(awk -v n="$MIN_USERS" -v r="$RATE" 'BEGIN { printf "%.1f", r * 60 / n }')/min against a limit of 100/min:" \
    "the limiter refused readers it should have admitted (per users-count:$(for n in "${COUNTS[@]}"; do
      printf ' %s users %s;' "$n" "$(sum_of "$n" status_429)"; done))."
else
  emit "429 answers: none (no user reads more than" \
    "$(awk -v n="$MIN_USERS" -v r="$RATE" 'BEGIN { printf "%.1f", r * 60 / n }')/min; the limit is 100/min)."
fi

# verdict USERS FACTOR: median p99 at USERS <= FACTOR x median p99 at 10,000 users
verdict() {
  local p99 base met
  [[ -n ${R[$1,p99_ms]:-} && -n ${R[10000,p99_ms]:-} ]] || { emit "($1 users or 10000 users not in USERS_COUNTS: no verdict)"; return; }
  p99=$(median "$1" p99_ms)
  base=$(median 10000 p99_ms)
  met=$(awk -v a="$p99" -v b="$base" -v f="$2" 'BEGIN { print (a <= f * b) ? "met" : "not met" }')
  emit "Target ($1 users p99 ≤ $2 × 10,000 users p99): **$met** — $p99 ms vs $2 × $base ms" \
    "= $(awk -v b="$base" -v f="$2" 'BEGIN { printf "%.2f", f * b }') ms (ratio $(ratio "$p99" "$base"); medians of" \
    "$REPEATS runs; runs at $1 users:${R[$1,p99_ms]} ms)."
}
verdict 100000 1.5
verdict 1000000 2
if ((${#COUNTS[@]} >= 2)); then
  hi=$PLAIN_USERS
  # reads sent to one API (JIT warm-ups + measured run) and the distinct users they touched (uniform choice of user)
  reads=$(awk -v r="$RATE" -v s="$((WARMUP + MEASURE))" -v j="${JIT_RATES[*]}" -v js="$JIT_SECONDS" \
    'BEGIN { n = split(j, a, " "); e = r * s; for (i = 1; i <= n; i++) e += a[i] * js; print e }')
  seen() { awk -v e="$reads" -v n="$1" 'BEGIN { printf "%.0f", n * (1 - exp(-e / n)) }'; }
  heap_hi=$(median "$hi" heap)
  heap_lo=$(median "$MIN_USERS" heap)
  emit "Heap per user: (heap after GC at $hi users − at $MIN_USERS users) / $((hi - MIN_USERS)) =" \
    "($(mb "$heap_hi") MB − $(mb "$heap_lo") MB) / $((hi - MIN_USERS)) ≈ **$(awk -v a="$heap_hi" -v b="$heap_lo" \
      -v n=$((hi - MIN_USERS)) 'BEGIN { printf "%.0f", (a - b) / n }') bytes per user** (medians). The $reads reads an" \
    "API received touched only ≈ $(seen "$hi") of the $hi users (≈ $(seen "$MIN_USERS") of $MIN_USERS): per user the API" \
    "has actually seen, ≈ $(awk -v a="$heap_hi" -v b="$heap_lo" -v x="$(seen "$hi")" -v y="$(seen "$MIN_USERS")" \
      'BEGIN { printf "%.0f", (a - b) / (x - y) }') bytes."
fi
