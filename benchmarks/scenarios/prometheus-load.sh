#!/usr/bin/env bash
# Issue 6, item 4: Prometheus load does not depend on readers. Prometheus' own count of instant queries
# (prometheus_http_requests_total{handler="/api/v1/query"}, read from its /metrics, which is not a query) over a window
# of 60 s while 0, 1,000 and 10,000 API reads per second run (the open-loop generator), next to the poller's own count
# (dbm_poller_queries_total) and ticks (dbm_poller_cycle_duration_seconds_count). Target: identical counts at the
# three rates, equal to the poller's queries per tick × ticks.
#
#   ./dbm up --fleet 1000 && ./dbm bench prometheus-load
#   REPEATS=1 PROMETHEUS_LOAD_WINDOW=10 ./dbm bench prometheus-load        # a smoke run (window: a multiple of 5 s)
#
# Windows start and end at the same phase of the poller's tick (POLL_INTERVAL_SECONDS, 5 s in the up stack; the
# queries of evaluation time T go out at T + 2 s), 0.3 s before a tick's queries go out, so that the previous cycle had
# the whole interval to finish and a window holds whole cycles. The readers run from before the window opens until
# after it closes; here only their rate matters, not their latency, so the generator's lag limit is 1 s, and a rate the
# API did not take is reported (answered 2xx per second). The poller's count is of the queries it sent (every outcome
# but breaker_open, overloaded and unreachable, which never reach Prometheus). Anything else querying Prometheus during
# a window makes Prometheus' count exceed the poller's: the scenario then fails instead of writing a misleading row.
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=benchmarks/scenarios/_generator.sh
source "$(dirname "${BASH_SOURCE[0]}")/_generator.sh"

read -ra RATES <<<"${PROMETHEUS_LOAD_RATES:-0 1000 10000}"
WINDOW=${PROMETHEUS_LOAD_WINDOW:-60}
INTERVAL=${POLL_INTERVAL_SECONDS:-5}
PHASE_MS=${PROMETHEUS_LOAD_PHASE_MS:-1700} # 0.3 s before the next tick's queries go out (T + 2 s)
((WINDOW % INTERVAL == 0)) || { echo "PROMETHEUS_LOAD_WINDOW must be a multiple of $INTERVAL s" >&2; exit 1; }

sum_metric() { metric_sum "$1" "$2" %.0f; } # URL REGEX -> the sum, whole
read_counters() { # -> "prometheus poller_sent poller_discoveries ticks missed poller_failed"
  local p q d t m f
  # sent = reached Prometheus: every outcome but breaker_open, overloaded and unreachable; failed = sent, not ok
  local sent='^dbm_poller_queries_total\\{.*outcome="(ok|timeout|http_error|query_error|malformed|wrong_type|oversized|bug)"'
  p=$(sum_metric "$PROMETHEUS_URL/metrics" '^prometheus_http_requests_total\\{.*handler="/api/v1/query"')
  q=$(sum_metric "$POLLER_URL/metrics" "$sent")
  d=$(sum_metric "$POLLER_URL/metrics" '^dbm_poller_queries_total\\{.*metric="discovery".*outcome="(ok|timeout|http_error|query_error|malformed|wrong_type|oversized|bug)"')
  t=$(sum_metric "$POLLER_URL/metrics" '^dbm_poller_cycle_duration_seconds_count')
  m=$(sum_metric "$POLLER_URL/metrics" '^dbm_poller_missed_ticks_total')
  f=$(sum_metric "$POLLER_URL/metrics" '^dbm_poller_queries_total\\{.*outcome="(timeout|http_error|query_error|malformed|wrong_type|oversized|bug)"')
  echo "$p $q $d $t $m $f"
}
wait_phase() { # sleep until the wall clock is PHASE_MS into a poll interval
  local now wait
  now=$(date +%s%3N)
  wait=$(((PHASE_MS - now % (INTERVAL * 1000) + INTERVAL * 1000) % (INTERVAL * 1000)))
  ((wait > 200)) || wait=$((wait + INTERVAL * 1000))
  sleep "$(awk -v w="$wait" 'BEGIN { printf "%.3f", w / 1000 }')"
}

ensure_fleet "$GEN_DATABASES"
API=$(start_api prometheus-load)
wait_fleet_served "$API" "$GEN_DATABASES"
# metric queries per tick from the poller's own series: one per (engine, metric) it queries
PER_TICK=$(curl -fsS "$POLLER_URL/metrics" | awk '/^dbm_poller_queries_total\{/ && !/metric="discovery"/ {
  match($0, /engine="[^"]*"/); e = substr($0, RSTART, RLENGTH); match($0, /metric="[^"]*"/)
  seen[e substr($0, RSTART, RLENGTH)] = 1 } END { print length(seen) }')
((PER_TICK > 0)) || { echo "the poller reports no queries: is the up stack's poller running?" >&2; exit 1; }

declare -A R
add() { R[$1,$2]="${R[$1,$2]:-} $3"; }
for ((rep = 1; rep <= REPEATS; rep++)); do
  for rate in "${RATES[@]}"; do
    echo "repeat $rep: ${WINDOW} s window at $rate API reads/s" >&2
    gen_pid=
    if ((rate > 0)); then
      # readers from ~3 s before the window opens until ~3 s after it closes (warm-up not counted by the generator)
      (rc=0
       "${GEN_JAVA[@]}" --url "http://127.0.0.1:$API" --rate "$rate" --warmup 5 --seconds $((WINDOW + INTERVAL + 8)) \
         --users "$GEN_USERS" --databases "$GEN_DATABASES" --secret-file .dbm/dev-jwt-secret --seed "$rep" \
         --max-lag-ms 1000 \
         >"$WORK/gen.out" 2>&1 || rc=$?
       echo "$rc" >"$WORK/gen.rc") &
      gen_pid=$!
      sleep 8
    fi
    wait_phase
    read -r p0 q0 d0 t0 m0 f0 <<<"$(read_counters)"
    sleep "$WINDOW"
    read -r p1 q1 d1 t1 m1 f1 <<<"$(read_counters)"
    if [[ -n $gen_pid ]]; then
      wait "$gen_pid" || true
      cat "$WORK/gen.out" >&2
      rc=$(<"$WORK/gen.rc")
      ((rc == 0 || rc == 3)) || { echo "readers at $rate/s: the generator run is not valid (exit $rc)" >&2; exit 1; }
      line=$(grep '^result ' "$WORK/gen.out")
      check_answers "$line" "API reads at $rate/s"
      add "$rate" ok_rate "$(field "$line" ok_rate)"
      add "$rate" errors "$(field "$line" errors)"
    else
      add "$rate" ok_rate 0
      add "$rate" errors 0
    fi
    ticks=$((t1 - t0)) prom=$((p1 - p0)) polled=$((q1 - q0)) disc=$((d1 - d0)) missed=$((m1 - m0)) failed=$((f1 - f0))
    ((ticks > 0)) || { echo "no poller tick in the window: is the poller of ./dbm up running?" >&2; exit 1; }
    ((prom >= 0 && polled >= 0 && ticks >= 0 && failed >= 0)) \
      || { echo "a counter went backwards: Prometheus or the poller restarted during the window" >&2; exit 1; }
    expected=$((PER_TICK * ticks + disc))
    echo "  ticks $ticks (missed $missed), Prometheus /api/v1/query $prom, poller sent $polled (failed $failed," \
      "discoveries $disc), expected $PER_TICK × $ticks + $disc = $expected" >&2
    if ((prom > polled)); then
      echo "Prometheus counted $prom queries but the poller sent $polled: something else queried Prometheus during" \
        "the window (another benchmark, a dashboard?); not writing a misleading row" >&2
      exit 1
    fi
    for m in ticks missed prom polled failed disc expected; do add "$rate" "$m" "${!m}"; done
  done
done

emit "Prometheus load against readers (issue 6, item 4): Prometheus' own count of instant queries"
emit "(\`prometheus_http_requests_total{handler=\"/api/v1/query\"}\`, read from its /metrics, which adds no query) over"
emit "${WINDOW} s windows while the open-loop generator reads the API (real query-api jar, auth on, limits high enough"
emit "never to refuse; $GEN_USERS users, $GEN_DATABASES fleet databases by Zipf popularity) at each rate, next to the"
emit "poller's own count of the queries it sent (\`dbm_poller_queries_total\`, every outcome that reaches Prometheus; in"
emit "brackets those that failed, e.g. timed out) and its ticks (\`dbm_poller_cycle_duration_seconds_count\`, and"
emit "\`dbm_poller_missed_ticks_total\`). Windows are aligned to the poller's ${INTERVAL} s tick. Expected = the poller's"
emit "queries per tick ($PER_TICK: one per engine × metric) × ticks + the discovery queries of the window. Median"
emit "[min–max] over $REPEATS runs per rate (rates interleaved)."
emit
emit "| API reads/s (answered 2xx/s) | ticks | missed ticks | Prometheus /api/v1/query | poller sent (failed) | expected | API errors |"
emit "|---|---|---|---|---|---|---|"
total() { echo "${R[$1,$2]:-}" | tr ' ' '\n' | awk '{ s += $1 } END { print s + 0 }'; }
for rate in "${RATES[@]}"; do
# shellcheck disable=SC2086 # R[...] holds space-separated samples, split into arguments on purpose
  emit "| $rate ($(fmt_stats %.0f ${R[$rate,ok_rate]})) | $(fmt_stats %d ${R[$rate,ticks]}) |" \
    "$(fmt_stats %d ${R[$rate,missed]}) | $(fmt_stats %d ${R[$rate,prom]}) |" \
    "$(fmt_stats %d ${R[$rate,polled]}) ($(total "$rate" failed)) | $(fmt_stats %d ${R[$rate,expected]}) |" \
    "$(total "$rate" errors) |"
done
emit

distinct=$(for rate in "${RATES[@]}"; do echo "${R[$rate,prom]}"; done | tr ' ' '\n' | grep . | sort -u | wc -l)
as_expected=yes as_sent=yes
for rate in "${RATES[@]}"; do
  [[ "${R[$rate,prom]}" == "${R[$rate,expected]}" ]] || as_expected=no
  [[ "${R[$rate,prom]}" == "${R[$rate,polled]}" ]] || as_sent=no
done
missed=0 failed=0
for rate in "${RATES[@]}"; do
  missed=$((missed + $(total "$rate" missed))) failed=$((failed + $(total "$rate" failed)))
done
target="Target (identical counts at every reader rate, equal to queries per tick × ticks)"
if ((distinct == 1)) && [[ $as_expected == yes ]]; then
  emit "$target: **met** — every window counted $(echo "${R[${RATES[0]},prom]}" | awk '{ print $1 }') Prometheus" \
    "queries, at every reader rate, in every run: exactly the poller's $PER_TICK per tick × ticks + discoveries."
elif [[ $as_sent == yes ]]; then
  emit "$target: **not met** — in every window Prometheus counted exactly the queries the poller sent, so readers" \
    "added none; but the windows did not hold the same work: $missed missed ticks and $failed failed queries in all" \
    "(a cycle slower than the interval under reader load: the readers, the API and the whole stack share 2 cores)," \
    "or a window shorter than the 30 s discovery interval (0 or 1 discovery)."
else
  emit "$target: **not met** — in some window Prometheus counted fewer queries than the poller sent (a query still" \
    "running at the window's edge: Prometheus counts it when it ends); see the table."
fi
