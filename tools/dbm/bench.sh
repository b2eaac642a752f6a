# shellcheck shell=bash
# Sourced by ./dbm: `./dbm bench`. Each scenario is benchmarks/scenarios/NAME.sh: it measures its baseline in the same
# run, repeats, and prints a markdown section (table, medians and spread). `bench` adds the command and the machine
# facts and replaces that scenario's section of BENCHMARKS.md (between <!-- bench:NAME --> and <!-- /bench:NAME -->);
# the raw output stays in .dbm/bench/NAME.log.

BENCH_DIR=benchmarks/scenarios

bench_scenarios() {
  find "$ROOT/$BENCH_DIR" -maxdepth 1 -name '[a-z]*.sh' ! -name lib.sh -printf '%f\n' | sed 's/\.sh$//' | sort
}

machine_facts() {
  local cpu mem
  cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  printf '%s cores (%s), %s RAM, %s, %s; load average at start %s\n' "$(nproc)" "${cpu:-unknown CPU}" "$mem" \
    "$(uname -sr)" "$(java -version 2>&1 | head -1)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_record NAME COMMAND OUTPUT_FILE: replace (or append) the scenario's section of BENCHMARKS.md
bench_record() {
  local name=$1 command=$2 out=$3 section
  section=$(mktemp)
  {
    echo "<!-- bench:$name -->"
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) with \`$command\` (after \`./dbm up\`) on $(machine_facts)"
    echo
    cat "$out"
    echo "<!-- /bench:$name -->"
  } >"$section"
  python3 - "$ROOT/BENCHMARKS.md" "$name" "$section" <<'PY'
import re, sys
path, name, section = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(path).read()
pattern = re.compile(r"<!-- bench:%s -->.*?<!-- /bench:%s -->" % (re.escape(name), re.escape(name)), re.S)
if pattern.search(text):
    text = pattern.sub(lambda m: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
  rm -f "$section"
}

cmd_bench() {
  local what=${1:-}
  [[ -n $what ]] || die "usage: ./dbm bench SCENARIO|all|list   (scenarios: $(bench_scenarios | tr '\n' ' '))"
  shift
  if [[ $what == list ]]; then bench_scenarios; return 0; fi
  local names=()
  if [[ $what == all ]]; then mapfile -t names < <(bench_scenarios); else names=("$what"); fi
  local name
  for name in "${names[@]}"; do
    [[ -f $ROOT/$BENCH_DIR/$name.sh ]] || die "no scenario '$name' (scenarios: $(bench_scenarios | tr '\n' ' '))"
  done
  use_stack up
  if ! is_running api || ! is_running streams || ! is_running prometheus; then
    die "the benchmarks measure the stack of ./dbm up: run ./dbm up first"
  fi
  install_for bench
  ensure_jars
  ensure_fleet_jar
  mkdir -p "$ROOT/.dbm/bench"
  local rc=0 t
  for name in "${names[@]}"; do
    t=$(now_ms)
    log "bench $name: benchmarks/scenarios/$name.sh $* (output in .dbm/bench/$name.log)"
    if (cd "$ROOT" && DBM_BENCH_OUT="$ROOT/.dbm/bench/$name.md" DBM_DEMO_IDS=$(demo_ids) \
        bash "$BENCH_DIR/$name.sh" "$@") \
        2>&1 | tee "$ROOT/.dbm/bench/$name.log" >&2 && [[ -s $ROOT/.dbm/bench/$name.md ]]; then
      bench_record "$name" "./dbm bench $name${*:+ $*}" "$ROOT/.dbm/bench/$name.md"
      log "bench $name: done in $(since "$t"); BENCHMARKS.md updated"
    else
      log "bench $name: FAILED after $(since "$t") (BENCHMARKS.md left as it was; see .dbm/bench/$name.log)"
      rc=1
    fi
  done
  return $rc
}
