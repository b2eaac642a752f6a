#!/usr/bin/env bash
# Issue 16, item 2: what the query API keeps per distinct user at up to a million users, on its real classes
# (com.dbmetrics.bench.PerUserMemory: the token check as QueryApi builds it, HS256, and the default per-user limit of
# 100/min, Redis answered in-process by a stub that grants every lease and stores nothing). Each user has its own
# token and makes one request; all fall within one rate-limit window and one token-cache lifetime, so nothing has
# expired: the worst case. The heap is measured after full collections at each checkpoint.
#
#   ./dbm bench memory            env: MEMORY_USERS ("10000 100000 1000000"), MEMORY_HEAP (2g: room to see growth)
# shellcheck source=benchmarks/scenarios/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -ra USERS <<<"${MEMORY_USERS:-10000 100000 1000000}"
HEAP=${MEMORY_HEAP:-2g}

out=$(java "-Xmx$HEAP" -cp "$BENCH_JAR" com.dbmetrics.bench.PerUserMemory "${USERS[@]}")
printf '%s\n' "$out" >&2
value() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

emit "Heap the query API holds per distinct user (issue 16): \`PerUserMemory\` drives the API's real token check"
emit "(HS256, as \`QueryApi\` builds it) and per-user rate limit (default 100/min) with N users, one token and one"
emit "request each, all inside one window and one token-cache lifetime (nothing expired yet: the worst case); Redis is"
emit "a stub in the same JVM that grants every lease and stores nothing. Heap in use after full collections"
emit "(\`-Xmx$HEAP\`, so growth is not hidden by a small heap); bytes per user = (heap at N − heap at 0) / N."
emit
emit "| users | heap after GC MB | bytes per user | µs per user (its token minted, checked, one limit decision) |"
emit "|---|---|---|---|"
while read -r line; do
  [[ $line == "memory users=0 "* ]] && continue
  [[ $line == memory* ]] || continue
  emit "| $(value "$line" users) | $(awk -v b="$(value "$line" heap_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }') |" \
    "$(value "$line" bytes_per_user) | $(awk -v n="$(value "$line" ns_per_user)" 'BEGIN { printf "%.1f", n / 1000 }') |"
done <<<"$out"
emit
emit "What bounds it in a running API: verified tokens are kept at most 5 minutes, in a fixed table of 131,072 slots"
emit "(VerifiedTokens: 512 KB however many users, plus one entry per token held); the limiter's"
emit "state per subject one window (1 minute) and 200,000 per scope at most (an evicted lease only forgets unspent permits: early refusals, never more admissions). So a running API holds at most the"
emit "users of the last minutes, up to those bounds, whatever the number of users (docs/architecture.md, decision 19)."
