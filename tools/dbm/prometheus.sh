# shellcheck shell=bash
# Sourced by ./dbm: Prometheus of a stack, its config rendered from tools/dbm/templates/prometheus (a job per demo
# database, per process group, the fleet and, in the `up` stack, the apps), and the wait for the first scrapes.
# It serves HTTPS only, to the users of PROMETHEUS_USERS (basic auth; --web.config.file); ./dbm asks as the operator.

# database_job INDEX JOB PORT: a scrape job whose target carries the labels of demo database INDEX.
database_job() {
  local i=$1
  render prometheus/database-job.yml JOB="$2" PORT="$3" DATABASE_ID="${DB_IDS[$i]}" DATABASE_NAME="${DB_NAMES[$i]}" \
    ENGINE="${DB_ENGINES[$i]}" DOMAIN="${DB_DOMAINS[$i]}" PROJECT="${DB_PROJECTS[$i]}"
}

write_prometheus_config() {
  local file=$1 i id _regex
  {
    render prometheus/prometheus.yml STACK="$STACK" SCRAPE_INTERVAL="${SCRAPE_INTERVAL_SECONDS}s" \
      PROMETHEUS_PORT="$(port prometheus)" CA_FILE="$(ca_file)" USERNAME=operator \
      PASSWORD_FILE="$(prometheus_password_file operator)" RULES_FILE="$ROOT/deploy/monitoring/dbmetrics-rules.yml"
    for i in "${!DB_IDS[@]}"; do
      database_job "$i" "${DB_EXPORTERS[$i]}" "$(port "${DB_EXPORTER_PORTKEYS[$i]}")"
    done
    while read -r id _regex; do
      i=$(db_index_by_id "$id") || die "PROCESS_GROUPS names unknown database $id"
      database_job "$i" "process-$id" "$(port process_exporter)"
      render prometheus/process-group-filter.yml DATABASE_ID="$id"
    done < <(rows "$PROCESS_GROUPS")
    if [[ -f $RUN_DIR/fleet.size ]]; then
      render prometheus/fleet-job.yml SCRAPE_INTERVAL="$FLEET_SCRAPE_INTERVAL" TARGETS_FILE="$DATA_DIR/fleet/targets.json"
    fi
    if [[ $STACK == up ]]; then # the apps' own metrics (the tests run the apps in-process, on ports of their own)
      render prometheus/app-job.yml JOB=dbmetrics-poller TARGETS="$(app_targets poller poller_management)"
      render prometheus/app-job.yml JOB=dbmetrics-streams-app TARGETS="$(app_targets streams streams_management)"
      render prometheus/app-job.yml JOB=dbmetrics-query-api TARGETS="$(app_targets api api_management)"
    fi
  } >"$file"
}

# app_targets KIND PORT_KEY: the management address of every instance of an app, as a YAML flow list's items.
app_targets() {
  local c out=()
  for c in $(app_instances "$1"); do out+=("'127.0.0.1:$(iport "$2" "$c")'"); done
  joined "${out[@]}"
}

# write_prometheus_web_config FILE: TLS with the stack's certificate, a bcrypt hash per user (written when the
# passwords change, as bcrypt is slow on purpose).
write_prometheus_web_config() {
  local file=$1 users='' u hash sums
  sums=$(for u in "${PROMETHEUS_USERS[@]}"; do sha256sum "$(prometheus_password_file "$u")"; done)
  [[ -s $file && -f $file.sums && $(<"$file.sums") == "$sums" ]] && return 0
  for u in "${PROMETHEUS_USERS[@]}"; do
    hash=$(htpasswd -inBC 10 "$u" <"$(prometheus_password_file "$u")") || die "htpasswd failed for Prometheus user $u"
    users+="  $u: '${hash#*:}'"$'\n'
  done
  render prometheus/web.yml CERT_FILE="$(secret_path prometheus.crt)" KEY_FILE="$(secret_path prometheus.key)" \
    USERS="${users%$'\n'}" >"$file"
  printf '%s' "$sums" >"$file.sums"
}

prometheus_ready() { prom_curl -fsS -o /dev/null --max-time 2 "https://127.0.0.1:$(port prometheus)/-/ready"; }

start_prometheus() {
  local p dir
  p=$(port prometheus) dir=$DATA_DIR/prometheus
  if is_running prometheus; then # a changed config (more demo databases, --fleet) is reloaded in place
    mkdir -p "$dir"
    write_prometheus_web_config "$dir/web.yml" # read by Prometheus on each request
    write_prometheus_config "$dir/prometheus.yml.new"
    if cmp -s "$dir/prometheus.yml.new" "$dir/prometheus.yml"; then
      rm -f "$dir/prometheus.yml.new"
      log "prometheus already running"
    else
      mv "$dir/prometheus.yml.new" "$dir/prometheus.yml"
      kill -HUP "$(running_pid prometheus)"
      log "prometheus already running: configuration changed, reloaded (SIGHUP)"
    fi
    return 0
  fi
  require_free_port prometheus "$p"
  mkdir -p "$dir/tsdb"
  write_prometheus_config "$dir/prometheus.yml"
  write_prometheus_web_config "$dir/web.yml"
  launch prometheus prometheus --config.file="$dir/prometheus.yml" --web.config.file="$dir/web.yml" \
    --storage.tsdb.path="$dir/tsdb" --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$p"
  wait_until prometheus 30 "readiness on port $p" prometheus_ready
}

# Waits until Prometheus has scraped every demo database's exporter successfully.
# Every demo target counts: each database's exporter and each process group (PROCESS_GROUPS) of a database.
await_scrapes() {
  local url want deadline
  want=$(( ${#DB_IDS[@]} + $(rows "$PROCESS_GROUPS" | wc -l) ))
  url="https://127.0.0.1:$(port prometheus)/api/v1/query"
  deadline=$(( $(now_ms) + 60 * 1000 ))
  until (( $(prom_curl -fsS --max-time 3 --data-urlencode 'query=up{database_id!="",job!="fleet"} == 1' "$url" 2>/dev/null \
      | jq '.data.result | length' 2>/dev/null || echo 0) == want )); do
    (( $(now_ms) < deadline )) || fail_with_log prometheus "Prometheus did not scrape all $want demo targets within 60 s"
    sleep 0.5
  done
}
