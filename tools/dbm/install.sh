# shellcheck shell=bash
# Sourced by ./dbm: what each command needs installed (Debian packages, the Kafka broker jars, the app jars), installed
# only when missing.

# The local stack of `up` and `test`: Prometheus, Redis, the demo databases and their exporters; curl and jq for the
# readiness checks and `status --json`; openssl (the local CA and certificates) and apache2-utils (htpasswd: bcrypt
# hashes of Prometheus' basic-auth users).
STACK_PACKAGES=(prometheus redis-server postgresql prometheus-postgres-exporter prometheus-redis-exporter mariadb-server
  prometheus-mysqld-exporter prometheus-process-exporter curl jq openssl apache2-utils)
# ./dbm up --ha: the load balancer in front of the API instances.
HA_PACKAGES=(haproxy)
# What the tests call beside the stack: shellcheck (first phase of `./dbm test`), kcat (KcatSchemaIT,
# ReplayFromTimestampIT, SecurityIT; redis-cli and promtool of SecurityIT come with redis-server and prometheus).
TEST_PACKAGES=(shellcheck kcat chromium) # chromium: the page's browser test (e2e/node)
# ComposeFileIT runs `docker-compose config`, which parses docker-compose.yml without an engine: installed without its
# recommended docker.io (and containerd, runc, iptables).
TEST_PACKAGES_NO_RECOMMENDS=(docker-compose)
# The benchmark scenarios: wrk for the closed-loop load, python3 for free ports and the BENCHMARKS.md update.
BENCH_PACKAGES=(wrk python3 curl jq)

KAFKA_LIBS=$DBM_DIR/kafka-libs
KAFKA_POM=$ROOT/tools/kafka-broker/pom.xml
SHARED_MODULES=(schemas) # modules every app jar contains

# install_for COMMAND: the Debian packages COMMAND needs (with a JDK and Maven where it builds or runs jars).
install_for() {
  local pkgs=() plain=() java=1
  case $1 in
    up) pkgs=("${STACK_PACKAGES[@]}"); if ha; then pkgs+=("${HA_PACKAGES[@]}"); fi ;;
    test) pkgs=("${STACK_PACKAGES[@]}" "${TEST_PACKAGES[@]}") plain=("${TEST_PACKAGES_NO_RECOMMENDS[@]}") ;;
    bench) pkgs=("${BENCH_PACKAGES[@]}") ;;
    restart) ;;
    token) ;;
    status) pkgs=(jq) java=0 ;;
    *) die "install_for: no package list for '$1'" ;;
  esac
  if [[ $1 == test ]]; then
    command -v node >/dev/null || pkgs+=(nodejs npm) # the browser test's runner; any Node 20+ already there will do
  fi
  if ((java)); then
    command -v mvn >/dev/null || pkgs+=(maven)
    command -v java >/dev/null || pkgs+=(openjdk-17-jdk-headless)
  fi
  ensure_packages "${pkgs[@]}" -- "${plain[@]}"
}

# ensure_packages PKG... -- PKG...: install the missing packages with apt-get (those after -- without their recommended
# packages). apt-get update runs only when something is missing.
ensure_packages() {
  local missing=() missing_plain=() p after_dashes=0 sudo=()
  for p in "$@"; do
    if [[ $p == -- ]]; then after_dashes=1; continue; fi
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] && continue
    if ((after_dashes)); then missing_plain+=("$p"); else missing+=("$p"); fi
  done
  ((${#missing[@]} + ${#missing_plain[@]} == 0)) && return 0
  if ((EUID != 0)); then
    command -v sudo >/dev/null \
      || die "missing packages (${missing[*]} ${missing_plain[*]}) and not root: install them with apt-get"
    sudo=(sudo)
  fi
  log "installing ${missing[*]} ${missing_plain[*]} (apt-get)"
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
  if ((${#missing[@]})); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" \
      || die "apt-get install ${missing[*]} failed"
  fi
  if ((${#missing_plain[@]})); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${missing_plain[@]}" || die "apt-get install ${missing_plain[*]} failed"
  fi
}

# Kafka broker jars, resolved by Maven into .dbm/kafka-libs (again when the pom changes).
ensure_kafka_libs() {
  local want
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  [[ -f $KAFKA_LIBS/.pom.sha256 && $(<"$KAFKA_LIBS/.pom.sha256") == "$want" ]] && return 0
  mkdir -p "$DBM_DIR"
  (
    flock 9 # `up` and `test` may resolve at the same time
    [[ -f $KAFKA_LIBS/.pom.sha256 && $(<"$KAFKA_LIBS/.pom.sha256") == "$want" ]] && exit 0
    log "resolving Kafka broker jars with Maven ($KAFKA_POM)"
    tmp=$(mktemp -d "$DBM_DIR/kafka-libs.XXXXXX")
    if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
      cat "$tmp.log" >&2
      rm -rf "$tmp" "$tmp.log"
      die "could not resolve the Kafka broker jars (mvn -f $KAFKA_POM dependency:copy-dependencies)"
    fi
    rm -f "$tmp.log"
    echo "$want" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
  ) 9>"$DBM_DIR/kafka-libs.lock"
}

# app_jar APP: the fat jar of an app (or of an instance's app: streams-2 runs the streams jar).
app_jar() { rows "$APPS" | awk -v c="$(kind_of "$1")" '$1 == c { print $2 }'; }

# jar_stale JAR: missing, or older than what goes into it: the root pom and the main sources and pom of its module
# and of the modules it shares (schemas).
jar_stale() {
  local jar=$1 module inputs=() s
  [[ -f $ROOT/$jar ]] || return 0
  module=${jar%%/*}
  for s in pom.xml "${SHARED_MODULES[@]/%//pom.xml}" "${SHARED_MODULES[@]/%//src/main}" "$module/pom.xml" "$module/src/main"; do
    [[ -e $ROOT/$s ]] && inputs+=("$ROOT/$s")
  done
  [[ -n $(find "${inputs[@]}" -type f -newer "$ROOT/$jar" -print -quit) ]]
}

# ensure_jars [APP...]: build the fat jars of the named apps (all when none) that are missing or stale.
ensure_jars() {
  local names=("$@") c jar stale=() modules
  ((${#names[@]})) || mapfile -t names < <(rows "$APPS" | awk '{print $1}')
  for c in "${names[@]}"; do
    jar=$(app_jar "$c")
    [[ -n $jar ]] || die "no app '$c'"
    if jar_stale "$jar"; then stale+=("$jar"); fi
  done
  ((${#stale[@]})) || return 0
  modules=$(printf '%s\n' "${stale[@]%%/*}" | paste -sd,)
  log "building ${stale[*]} (mvn -B -q -DskipTests -pl $modules -am package)"
  mvn -B -q -f "$ROOT/pom.xml" -DskipTests -pl "$modules" -am package >&2 \
    || die "the build failed (mvn -B -q -DskipTests -pl $modules -am package): fix it, then run ./dbm again"
  for jar in "${stale[@]}"; do
    [[ -f $ROOT/$jar ]] || die "the build did not produce $jar"
    touch "$ROOT/$jar" # an unchanged jar keeps its old time: do not rebuild on every `up`
  done
}

# ensure_jars_in_background APP...: ensure_jars as a background job (its output in the stack's logs/build.log), so the
# build overlaps with the start of the infrastructure; await_jars waits for it.
JARS_BUILD_PID=''
ensure_jars_in_background() {
  mkdir -p "$LOG_DIR"
  (ensure_jars "$@") >>"$LOG_DIR/build.log" 2>&1 8>&- &
  JARS_BUILD_PID=$!
}

# stop_jars_build: stop a background build that is still running (the script is exiting).
stop_jars_build() {
  [[ -n $JARS_BUILD_PID ]] || return 0
  pkill -TERM -P "$JARS_BUILD_PID" 2>/dev/null || true # its Maven
  kill "$JARS_BUILD_PID" 2>/dev/null || true
  JARS_BUILD_PID=''
}

await_jars() {
  [[ -n $JARS_BUILD_PID ]] || return 0
  local pid=$JARS_BUILD_PID
  JARS_BUILD_PID=''
  if ! wait "$pid"; then
    tail -n 30 "$LOG_DIR/build.log" >&2
    die "building the jars failed (see $LOG_DIR/build.log)"
  fi
}

# ensure_node_clients: the npm packages of the tests' Node.js clients (playwright-core for the browser test,
# prometheus-query for the Prometheus-compatible API; pinned by e2e/node/package-lock.json), installed again only when
# the lock file changed.
ensure_node_clients() {
  local dir=$ROOT/e2e/node
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    log "installing the tests' npm packages (npm ci in e2e/node)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in e2e/node failed"
  fi
}
