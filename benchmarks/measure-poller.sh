#!/usr/bin/env bash
# Measures the poller of the `up` stack over a window: Prometheus queries per cycle, counted both by Prometheus itself
# (prometheus_http_requests_total{handler="/api/v1/query"}, read from its /metrics so the reading adds no query) and by
# the poller (dbm_poller_queries_total), cycle duration and the poller's resident memory.
#
#   ./dbm up --fleet 10    && sleep 90 && benchmarks/measure-poller.sh 60
#   ./dbm up --fleet 10000 && sleep 90 && benchmarks/measure-poller.sh 60
#
# (wait at least one discovery interval, 30 s, and one fleet scrape, 15 s, after changing the fleet.) Anything else
# that queries Prometheus' /api/v1/query during the window (a Grafana, a curl) inflates the Prometheus count.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
window=${1:-60}
prom=http://127.0.0.1:17090/metrics
poller=http://127.0.0.1:17071/metrics

sum() { # sum of the samples of a metric family matching a pattern
  curl -fsS --max-time 5 "$1" | awk -v re="$2" '$0 !~ /^#/ && $1 ~ re { s += $NF } END { printf "%.6f\n", s }'
}
read_all() {
  P=$(sum "$prom" '^prometheus_http_requests_total\\{.*handler="/api/v1/query"')
  Q=$(sum "$poller" '^dbm_poller_queries_total')
  C=$(sum "$poller" '^dbm_poller_cycle_duration_seconds_count')
  S=$(sum "$poller" '^dbm_poller_cycle_duration_seconds_sum')
}
read_all; p0=$P q0=$Q c0=$C s0=$S
sleep "$window"
read_all
pid=$(awk '{print $1}' .dbm/up/run/poller.pid)
ticks=$(awk -v a="$C" -v b="$c0" 'BEGIN { print a - b }')
((ticks > 0)) || { echo "no poller tick in ${window}s: is the poller of ./dbm up running?" >&2; exit 1; }
databases=$(sum "$poller" '^dbm_poller_databases')
max=$(curl -fsS "$poller" | awk '$1 ~ /^dbm_poller_cycle_duration_seconds_max/ { print $NF }')
awk -v p="$(awk -v a="$P" -v b="$p0" 'BEGIN{print a-b}')" -v q="$(awk -v a="$Q" -v b="$q0" 'BEGIN{print a-b}')" \
    -v t="$ticks" -v s="$(awk -v a="$S" -v b="$s0" 'BEGIN{print a-b}')" -v d="$databases" -v mx="$max" \
    -v rss="$(ps -o rss= -p "$pid")" -v w="$window" 'BEGIN {
  printf "databases known         %d\n", d
  printf "ticks in %ss            %d\n", w, t
  printf "queries/cycle (Prometheus /api/v1/query)  %.2f\n", p / t
  printf "queries/cycle (poller dbm_poller_queries) %.2f\n", q / t
  printf "cycle duration mean     %.0f ms (max of the last minutes %.0f ms)\n", 1000 * s / t, 1000 * mx
  printf "poller RSS              %.0f MiB\n", rss / 1024
}'
