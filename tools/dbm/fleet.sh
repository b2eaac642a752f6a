# shellcheck shell=bash
# Sourced by ./dbm: the fleet simulator (benchmarks/): N synthetic databases across the four engines, one Prometheus
# target each (file_sd), scraped less often than the demo databases so that 10,000 targets stay cheap on two cores.

FLEET_JAR=benchmarks/target/dbmetrics-benchmarks.jar

ensure_fleet_jar() {
  if [[ -f $ROOT/$FLEET_JAR && -z $(find "$ROOT/benchmarks/pom.xml" "$ROOT/benchmarks/src" -type f -newer "$ROOT/$FLEET_JAR" -print -quit) ]]; then
    return 0
  fi
  log "building the benchmarks jar (mvn -B -q -DskipTests -pl benchmarks -am package)"
  (cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package >&2) || die "building the benchmarks jar failed"
  touch "$ROOT/$FLEET_JAR"
}

# configure_fleet N: remember the fleet size of this stack (0 removes the fleet); a running fleet of another size stops.
configure_fleet() {
  local n=$1 old=''
  [[ -f $RUN_DIR/fleet.size ]] && old=$(<"$RUN_DIR/fleet.size")
  if [[ $old != "$n" ]] && is_running fleet; then stop_component fleet; fi
  if ((n == 0)); then
    rm -f "$RUN_DIR/fleet.size" "$DATA_DIR/fleet/targets.json"
    log "fleet removed"
  else
    ensure_fleet_jar
    echo "$n" >"$RUN_DIR/fleet.size"
  fi
}

start_fleet() {
  local n p
  n=$(<"$RUN_DIR/fleet.size") p=$(port fleet)
  is_running fleet && { log "fleet already running ($n databases)"; return 0; }
  require_free_port fleet "$p"
  mkdir -p "$DATA_DIR/fleet"
  # a private copy, as for the apps: rebuilding the benchmarks jar under a running JVM would break it
  cp "$ROOT/$FLEET_JAR" "$DATA_DIR/fleet/fleet.jar"
  launch fleet java -Xmx512m -XX:+UseSerialGC -jar "$DATA_DIR/fleet/fleet.jar" --port "$p" --databases "$n" \
    --sd-file "$DATA_DIR/fleet/targets.json"
  wait_until fleet 30 "fleet targets file" test -s "$DATA_DIR/fleet/targets.json"
  log "fleet of $n databases on port $p"
}
