# shellcheck shell=bash
# Sourced by ./dbm: what runs where (the summary after `up`, `status [--json]`) and the components' logs.

print_summary() {
  local c key value i token
  echo
  echo "dbmetrics local stack ($STACK):"
  for c in $(all_components); do
    is_running "$c" || continue
    read -r key value < <(endpoint "$c")
    printf '  %-20s %s\n' "$c" "$value"
  done
  if is_running streams; then
    printf '  %-20s %s\n' "streams management" "http://127.0.0.1:$(port streams_management)/metrics"
  fi
  if is_running api; then
    printf '  %-20s %s\n' "api management" "http://127.0.0.1:$(port api_management)/metrics"
  fi
  echo
  echo "Demo databases:"
  for i in "${!DB_IDS[@]}"; do
    printf '  %-14s %-16s %-11s %s/%s  %s\n' "${DB_IDS[$i]}" "${DB_NAMES[$i]}" "${DB_ENGINES[$i]}" \
      "${DB_DOMAINS[$i]}" "${DB_PROJECTS[$i]}" "$(db_url "$i")"
  done
  if is_running kafka || is_running redis || is_running prometheus; then
    echo
    echo "Kafka, Redis and Prometheus are secured; as the operator (paths also in ./dbm status --json):"
    echo "  kcat -F $(kcat_config) -C -t dbmetrics.snapshots.v1 -e"
    echo "  redis-cli --tls --cacert $(ca_file) -p $(port redis) --user operator --pass \"\$(cat $(redis_password_file operator))\""
    echo "  curl --cacert $(ca_file) -u \"operator:\$(cat $(prometheus_password_file operator))\" https://127.0.0.1:$(port prometheus)/api/v1/targets"
  fi
  echo
  echo "Logs: ./dbm logs [component]   Status: ./dbm status [--json]   Stop: ./dbm down"
  if is_running api; then
    token=$(mint_token --user dev --ttl 86400 --tenant "${DB_DOMAINS[0]}/${DB_PROJECTS[0]}")
    echo
    echo "Try (development token for ${DB_DOMAINS[0]}/${DB_PROJECTS[0]}, valid 24 h; more with ./dbm token):"
    echo "  curl -H 'Authorization: Bearer $token' \\"
    echo "    http://127.0.0.1:$(port api)$(metrics_path 0)"
  fi
}

# client_settings COMPONENT: what a client of a secured component needs besides its address, as a JSON object of
# paths (never secrets): the CA, and the operator's identity (Kafka: librdkafka properties for `kcat -F` and Java
# client properties for the Kafka CLI tools' --command-config; Redis and Prometheus: user name and password file).
client_settings() {
  case $1 in
    kafka) jq -cn --arg ca "$(ca_file)" --arg kcat "$(kcat_config)" --arg props "$(kafka_client_properties operator)" \
      '{ca_file: $ca, kcat_config: $kcat, client_properties: $props}' ;;
    redis) jq -cn --arg ca "$(ca_file)" --arg pw "$(redis_password_file operator)" \
      '{ca_file: $ca, username: "operator", password_file: $pw}' ;;
    prometheus) jq -cn --arg ca "$(ca_file)" --arg pw "$(prometheus_password_file operator)" \
      '{ca_file: $ca, username: "operator", password_file: $pw}' ;;
    *) echo '{}' ;;
  esac
}

cmd_status() {
  local json=0
  case ${1:-} in
    --json) json=1 ;;
    '') ;;
    *) die "status: unknown argument '$1'" ;;
  esac
  use_stack up
  local c pid running key value
  if ((json)); then
    install_for status
    local comps dbs i
    comps=$(for c in $(all_components); do
      if pid=$(running_pid "$c"); then running=true; else pid=null running=false; fi
      read -r key value < <(endpoint "$c")
      jq -cn --arg c "$c" --argjson pid "$pid" --argjson running "$running" --arg key "$key" --arg value "$value" \
        --argjson client "$(client_settings "$c")" '{($c): ({pid: $pid, running: $running, ($key): $value} + $client)}'
    done | jq -cs 'add')
    dbs=$(for i in "${!DB_IDS[@]}"; do
      jq -cn --arg id "${DB_IDS[$i]}" --arg engine "${DB_ENGINES[$i]}" --arg domain "${DB_DOMAINS[$i]}" \
        --arg project "${DB_PROJECTS[$i]}" --arg name "${DB_NAMES[$i]}" --arg url "$(db_url "$i")" \
        '{database_id: $id, engine: $engine, domain: $domain, project: $project, database_name: $name, url: $url}'
    done | jq -cs .)
    jq -n --argjson comps "$comps" --argjson dbs "$dbs" '{components: $comps, databases: $dbs}'
  else
    printf '%-20s %-8s %-8s %s\n' COMPONENT PID RUNNING URL
    for c in $(all_components); do
      if pid=$(running_pid "$c"); then running=yes; else pid=- running=no; fi
      read -r key value < <(endpoint "$c")
      printf '%-20s %-8s %-8s %s\n' "$c" "$pid" "$running" "$value"
    done
  fi
}

cmd_logs() {
  local follow=0 comps=() c files=()
  while (($#)); do
    case $1 in
      -f | --follow) follow=1 ;;
      *) comps+=("$1") ;;
    esac
    shift
  done
  use_stack up
  ((${#comps[@]})) || mapfile -t comps < <(all_components)
  local known
  known=" $(all_components | tr '\n' ' ')"
  for c in "${comps[@]}"; do
    [[ $known == *" $c "* ]] || die "unknown component '$c' (one of:$known)"
    [[ -e $(logfile "$c") ]] && files+=("$(logfile "$c")")
  done
  ((${#files[@]})) || die "no logs yet (has ./dbm up run?)"
  if ((follow)); then exec tail -n 200 -F "${files[@]}"; else tail -n 200 "${files[@]}"; fi
}
