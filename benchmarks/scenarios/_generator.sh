# shellcheck shell=bash
# Sourced (after lib.sh) by the scenarios that drive the open-loop generator com.dbmetrics.bench.OpenLoopLoad:
# open-loop, prometheus-load, connections. Not a scenario itself (./dbm bench runs only names starting with a letter).
#
# The generator's workload: the fleet of the up stack (databases fleet-<engine>-<i>, domain fleet, project p<i % 100>),
# 1,000 databases by Zipf popularity (exponent 1), 10,000 users (user u reads project p<u % 100>, its own HS256 token).

# shellcheck disable=SC2034 # read by the scenarios that source this file
GEN_DATABASES=1000
# shellcheck disable=SC2034
GEN_USERS=10000
# The demo databases of ./dbm up as OpenLoopLoad --ids wants them (./dbm bench passes them from tools/dbm/common.sh's
# table, as ./dbm chaos does): the workload of the scenarios that need no fleet (users, overload, coldstart)
# shellcheck disable=SC2034
DEMO_IDS=${DBM_DEMO_IDS:?run the scenarios through ./dbm bench}
# A run whose generator lags more than GEN_MAX_LAG_MS at p99 behind its own schedule is not valid (exit 2): its
# latencies would be the generator's, not the server's. Default 25 ms: the generator shares the 2 cores with the server
# and the stack (its lag p99 was 2-15 ms in the runs of 2026-12-02, up to 22 ms with 10,000 connections); the lag is
# part of every latency measured, so a looser bound can only make a result worse, never better, and the lag p99 is
# reported next to each row.
GEN_JAVA=(java -Xms256m -Xmx512m -cp "${GEN_CLASSPATH:-$BENCH_JAR}" com.dbmetrics.bench.OpenLoopLoad
          --max-lag-ms "${GEN_MAX_LAG_MS:-25}")

# ensure_fleet N: the up stack's fleet has at least N databases (./dbm up --fleet N when it has fewer; a larger fleet
# is left as it is, so a 10,000-database stack is not shrunk).
ensure_fleet() {
  local have=0
  [[ -f .dbm/up/run/fleet.size ]] && have=$(<.dbm/up/run/fleet.size)
  if ((have < $1)); then
    echo "fleet has $have databases, starting $1: ./dbm up --fleet $1" >&2
    ./dbm up --fleet "$1" >&2
  fi
}

# wait_fleet_served PORT N: waits (up to 240 s) until every fleet database 0..N-1 answers 200 on the API at PORT, i.e.
# the poller has polled it and the streams-app and Redis hold it. One curl process, keep-alive, one token for fleet/*.
wait_fleet_served() {
  local port=$1 n=$2 token cfg engines=(postgresql mysql mongodb redis) i ok _
  token=$(./dbm token --user bench-fleet-check --tenant 'fleet/*')
  cfg="$WORK/fleet-urls.curl"
  : >"$cfg"
  for ((i = 0; i < n; i++)); do
    printf 'url = "http://127.0.0.1:%s/api/v1/domain/fleet/project/p%d/databases/fleet-%s-%d/metrics"\noutput = "/dev/null"\n' \
      "$port" $((i % 100)) "${engines[i % 4]}" "$i" >>"$cfg"
  done
  for _ in $(seq 1 120); do
    ok=$(curl -s -K "$cfg" -H "Authorization: Bearer $token" -w '%{http_code}\n' | grep -c '^200$' || true)
    ((ok == n)) && { echo "all $n fleet databases served on port $port" >&2; return 0; }
    echo "fleet databases served: $ok of $n, waiting" >&2
    sleep 2
  done
  echo "the API on port $port does not serve all $n fleet databases after 240 s (poller, streams-app, fleet?)" >&2
  exit 1
}

# gen_run ARGS... -> the generator's "result k=v ..." line (its whole output goes to stderr, i.e. the log); with
# GEN_KEEP='phase|second|result' also its "phase ..." and "second ..." lines (a --phases run). Exits the
# scenario when the generator fails or says the run is not valid (it fell behind its own schedule: exit 2). A
# saturated run (exit 3: the server did not take the rate, result has saturated=true) is a result, not a failure.
# With GEN_LAG_IS_RESULT=1 a lagging run (exit 2, valid=false) is a result too, for scenarios that show the lag next
# to each latency and mark such runs: where the server under test takes the cores the generator shares with it, the
# generator lags because the server is overloaded, and the lag (part of every latency) can only make a result worse.
gen_run() {
  local out rc
  set +e
  out=$("${GEN_JAVA[@]}" "$@" 2>&1)
  rc=$?
  set -e
  printf '%s\n' "$out" >&2
  if ((rc == 3)); then
    echo "SATURATED run: $(grep '^SATURATED' <<<"$out")" >&2
  elif ((rc == 2)) && [[ ${GEN_LAG_IS_RESULT:-0} == 1 ]]; then
    echo "LAGGING run (kept as a result, marked): $(grep '^NOT VALID' <<<"$out")" >&2
  elif ((rc != 0)); then
    echo "generator run not valid (exit $rc): $(grep -E '^(NOT VALID|Exception|Caused)' <<<"$out" | head -3)" >&2
    exit 1
  fi
  grep -q '^result ' <<<"$out" || { echo "generator printed no result line" >&2; exit 1; }
  grep -E "^(${GEN_KEEP:-result}) " <<<"$out"
}

# field RESULT_LINE KEY -> the value of KEY (0 when absent)
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { v = $2; f = 1 } END { print f ? v : 0 }'; }

# check_answers RESULT_LINE WHAT [STATUSES]: misconfiguration fails the scenario instead of becoming a table row: any
# 401, 403, 404 (token, tenant or id wrong) or 429 (limits meant never to refuse), or no 2xx answer at all. STATUSES
# replaces that list (e.g. "401 403 404" where 429s are a result to count and show).
check_answers() {
  local s statuses
  read -ra statuses <<<"${3:-401 403 404 429}"
  for s in "${statuses[@]}"; do
    if (($(field "$1" "status_$s") > 0)); then
      echo "$2: $(field "$1" "status_$s") answers with status $s: misconfigured (token, ids or limits), not a result" >&2
      exit 1
    fi
  done
  if (($(field "$1" ok_views) == 0)); then
    echo "$2: no 2xx answer at all" >&2
    exit 1
  fi
}

# established PORT -> number of established TCP connections whose local (server) port is PORT
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
