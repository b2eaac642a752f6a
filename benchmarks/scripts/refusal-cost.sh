#!/usr/bin/env bash
# What an answer and a refusal cost the query API in CPU, next to the plain Javalin endpoint, in the same run.
#
#   ./dbm up && benchmarks/scripts/refusal-cost.sh [SECONDS] [CONNECTIONS] [REPEATS]
#
# The overload guard (decision 20) answers a refused request 503 before authentication, limits or routing. How much
# CPU refusing saves depends on what a refusal costs next to an answer: an overloaded instance can only get out of
# its backlog when refusing frees enough CPU. Three servers, wrk against each in turn, the repeats interleaved:
#   plain     the plain Javalin endpoint returning the bytes of the API's answer (start_plain): HTTP alone
#   answers   the query API with its defaults; every request an L1 hit (token, limits, the held answer)
#   refusals  the query API with one slot and no queue (API_MAX_CONCURRENT_REQUESTS=1 API_MIN_CONCURRENT_REQUESTS=1
#             API_MAX_QUEUED_REQUESTS=0), the slot held by a form POST whose body never comes (it waits in the
#             handler until Jetty's idle timeout, and is sent again), so that every other request is a 503
# CPU per answer: the server process's user + system CPU time over the run / every answer (2xx or 503), lib.sh's
# wrk_row. wrk's own CPU, on the same cores, is not in it. Prints a markdown table; BENCHMARKS.md (section 10) holds the results.
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"

DURATION=${1:-10}
CONNECTIONS=${2:-16}
REPEATS=${3:-3}
AUTH="Authorization: Bearer $TOKEN"
curl -fsS -H "$AUTH" "$API_URL$DEMO_PATH" >"$WORK/body.json"
PLAIN=$(start_plain "$WORK/body.json")
ANSWERS=$(start_api answers)
REFUSALS=$(start_api refusals API_MAX_CONCURRENT_REQUESTS=1 API_MIN_CONCURRENT_REQUESTS=1 API_MAX_QUEUED_REQUESTS=0)

# holds the refusing API's one slot: a form POST that sends its headers and never its body, again when it ends
python3 - "$REFUSALS" "$TOKEN" >"$WORK/holder.log" 2>&1 <<'PY' &
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
request = ("POST /prometheus/api/v1/query HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
           + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 64\r\n\r\nquery=").encode()
while True:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(request)
        s.recv(4096)  # Jetty's 408 after its idle timeout
PY
echo $! >"$WORK/holder.pid"
sleep 1

# JIT warm-up of each server under the same load, not counted
for port in "$PLAIN" "$ANSWERS" "$REFUSALS"; do
  wrk_run "$CONNECTIONS" "$DURATION" "http://127.0.0.1:$port$DEMO_PATH" "$AUTH" >/dev/null
done
SECONDS_PER_RUN=$DURATION
for ((i = 0; i < REPEATS; i++)); do
  wrk_row plain "$(<"$WORK/plain.pid")" "$CONNECTIONS" "http://127.0.0.1:$PLAIN$DEMO_PATH" "$AUTH"
  wrk_row answers "$(<"$WORK/api-answers.pid")" "$CONNECTIONS" "http://127.0.0.1:$ANSWERS$DEMO_PATH" "$AUTH"
  wrk_row refusals "$(<"$WORK/api-refusals.pid")" "$CONNECTIONS" "http://127.0.0.1:$REFUSALS$DEMO_PATH" "$AUTH"
done
kill "$(<"$WORK/holder.pid")" 2>/dev/null || true

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, $REPEATS runs each, interleaved; $(nproc) cores; $(date -u +%FT%TZ)"
echo
echo "| server | answers/s | answers not 2xx, all runs | p99 ms | server CPU µs per answer |"
echo "|---|---|---|---|---|"
for row in plain answers refusals; do
  echo "| $row | $(w_cell "$row" answers %.0f) | ${W[$row,errors]} | $(w_cell "$row" p99 %.2f) |" \
    "$(w_cell "$row" cpu_answer_us %.1f) |"
done
echo
echo "A refusal costs $(w_ratio refusals answers cpu_answer_us)× the CPU of an answer;" \
  "the plain endpoint's answer $(w_ratio plain answers cpu_answer_us)×."
