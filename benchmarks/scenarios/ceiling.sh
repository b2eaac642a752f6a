#!/usr/bin/env bash
# Scenario 1 (issue 6): how close the API's L1 path comes to this machine's ceiling for an HTTP answer of that size.
#
#   ./dbm bench ceiling            env: REPEATS (3), SECONDS_PER_RUN (10), CONNECTIONS ("64 256 1024")
#
# Baseline: a plain Javalin endpoint returning the same bytes (no auth, no limits, no cache). Ours: the real query-api
# jar, JWT authentication on, rate limits on (high enough never to refuse), its default L1 TTL (5 s: one Redis read per
# TTL, every other request an L1 hit, and the answer stays fresh, as in production). wrk closed loop, 2 threads; runs
# interleaved (plain, API, plain, API, ...) so drift hits both alike.
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-64 256 1024}
raise_fd_limit

API=$(start_api l1)
curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API$DEMO_PATH" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")
for _ in $(seq 1 20); do [ "$(layer_of "$API" "$DEMO_PATH")" = L1 ] && break; sleep 0.5; done
[ "$(layer_of "$API" "$DEMO_PATH")" = L1 ] || { echo "the API does not answer from L1" >&2; exit 1; }
! grep -q '"stale"' "$WORK/body.json" || { echo "the demo database's data is stale: is the poller running?" >&2; exit 1; }
PLAIN_URL="http://127.0.0.1:$PLAIN$DEMO_PATH"
API_URL_L1="http://127.0.0.1:$API$DEMO_PATH"
AUTH="Authorization: Bearer $TOKEN"

for c in 64 1024; do # JIT warm-up of both JVMs, not counted
  wrk_run "$c" 5 "$PLAIN_URL" "$AUTH" >/dev/null
  wrk_run "$c" 5 "$API_URL_L1" "$AUTH" >/dev/null
done

emit "Body: $(wc -c <"$WORK/body.json") bytes (one database's five metrics). \`wrk -t2 -c<N> -d${SECONDS_PER_RUN}s\`," \
  "$REPEATS runs per cell, median [min–max]. Both servers and wrk share the 2 cores. The plain endpoint has the" \
  "API's Jetty settings and writes the bytes straight to the response stream, as the API does (lib.sh start_plain)."
emit ""
emit "| connections | plain Javalin req/s | API (L1 hit, auth, limits) req/s | ratio | plain p50 / p99 ms | API p50 / p99 ms | errors (plain / API) |"
emit "|---|---|---|---|---|---|---|"
verdict=met
for c in $CONNECTIONS; do
  P_RPS=() A_RPS=() P50=() P99=() A50=() A99=() PERR=0 AERR=0
  for _ in $(seq 1 "$REPEATS"); do
    read -r rps p50 p99 err <<<"$(wrk_run "$c" "$SECONDS_PER_RUN" "$PLAIN_URL" "$AUTH")"
    P_RPS+=("$rps") P50+=("$p50") P99+=("$p99") PERR=$((PERR + err))
    read -r rps p50 p99 err <<<"$(wrk_run "$c" "$SECONDS_PER_RUN" "$API_URL_L1" "$AUTH")"
    A_RPS+=("$rps") A50+=("$p50") A99+=("$p99") AERR=$((AERR + err))
  done
  read -r pm _ <<<"$(stats "${P_RPS[@]}")"
  read -r am _ <<<"$(stats "${A_RPS[@]}")"
  r=$(ratio "$am" "$pm")
  awk -v r="$r" 'BEGIN { exit !(r < 0.6) }' && verdict="missed"
  emit "| $c | $(fmt_stats %.0f "${P_RPS[@]}") | $(fmt_stats %.0f "${A_RPS[@]}") | **$r** |" \
    "$(stats "${P50[@]}" | awk '{print $1}') / $(stats "${P99[@]}" | awk '{print $1}') |" \
    "$(stats "${A50[@]}" | awk '{print $1}') / $(stats "${A99[@]}" | awk '{print $1}') | $PERR / $AERR |"
done
emit ""
emit "Target: ratio ≥ 0.6 at every concurrency — **$verdict** (ratio = median API req/s ÷ median plain req/s)." \
  "Layer check: \`X-Cache: $(layer_of "$API" "$DEMO_PATH")\`; rate-limit rejections: the errors column counts every" \
  "non-2xx answer and socket error."
