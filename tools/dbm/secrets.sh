# shellcheck shell=bash
# Sourced by ./dbm: the secrets of a stack, in .dbm/<stack>/secrets (mode 700, every key and password mode 600),
# generated once and kept across runs of `up` (`test` wipes its directory, so each test run gets new ones):
#   ca.pem, ca.key                 the local CA that signs every service certificate
#   SERVICE.crt, SERVICE.key       kafka, redis, prometheus: SAN IP:127.0.0.1,DNS:localhost, serverAuth+clientAuth
#   kafka-keystore.pem             Kafka's PEM keystore: key, certificate, CA
#   kafka-P.password               SCRAM-SHA-512 password of Kafka principal P (KAFKA_PRINCIPALS)
#   redis-U.password               password of Redis ACL user U (REDIS_USERS)
#   prometheus-U.password          basic-auth password of Prometheus user U (PROMETHEUS_USERS)
#   streams-iq.token               the shared secret of the streams-app's internal API (STREAMS_IQ_TOKEN_FILE)
#   kafka/P.properties             Java client properties of principal P (SASL_SSL, SCRAM-SHA-512, PEM trust): the
#                                  KAFKA_CLIENT_PROPERTIES_FILE of P, or --command-config of the Kafka CLI tools
#   kafka/operator.kcat            librdkafka properties for `kcat -F` (broker included; operator, PLAIN: see
#                                  KCAT_MECHANISM)
# Paths of these files are shown by `./dbm status --json`, never their content.

# Kafka principals: the broker's super user (topic creation, tests), the apps, and the operator (reads every dbmetrics
# topic, may write snapshots as a backfill does; the identity of kcat and the Kafka CLI tools).
KAFKA_PRINCIPALS=(admin poller streams operator)
# Redis ACL users of the L2 cache (the demo Redis database is a monitored database, not ours to lock), and the
# password the sentinels require of their clients (`sentinels`).
REDIS_USERS=(admin streams api operator replica sentinel sentinels)
# Prometheus basic-auth users: the poller, and the operator (./dbm itself, promtool, curl, benchmarks).
PROMETHEUS_USERS=(poller operator)
# Debian 12's librdkafka (2.0.2) cannot authenticate with SCRAM against Kafka >= 4.0 (kcat issue #462, fixed in
# librdkafka 2.6.1): kcat uses PLAIN, enabled on the same SASL_SSL listener for the operator only.
KCAT_MECHANISM=PLAIN
CERT_DAYS=825

secrets_dir() { echo "$STACK_DIR/secrets"; }
secret_path() { echo "$(secrets_dir)/$1"; }
ca_file() { secret_path ca.pem; }
kafka_password_file() { secret_path "kafka-$1.password"; }
redis_password_file() { secret_path "redis-$1.password"; }
prometheus_password_file() { secret_path "prometheus-$1.password"; }
kafka_client_properties() { secret_path "kafka/$1.properties"; }
kcat_config() { secret_path kafka/operator.kcat; }
iq_token_file() { secret_path streams-iq.token; }

# random_secret LENGTH: letters and digits only (safe in JAAS, ACL files, URLs and properties without quoting).
random_secret() {
  local s
  s=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  s=${s:0:$1}
  ((${#s} == $1)) || die "could not generate a random secret"
  printf '%s' "$s"
}

# write_private FILE: stdin into FILE, created mode 600 before anything is written.
write_private() {
  local tmp
  tmp=$(mktemp "$(dirname "$1")/.tmp.XXXXXX")
  chmod 600 "$tmp"
  cat >"$tmp"
  mv "$tmp" "$1"
}

ensure_password() { [[ -s $1 ]] || random_secret 32 | write_private "$1"; }

# issue_cert NAME CN: a key and a certificate signed by the stack's CA, for 127.0.0.1 and localhost.
issue_cert() {
  local dir name=$1 cn=$2
  dir=$(secrets_dir)
  [[ -s $dir/$name.crt && -s $dir/$name.key ]] && return 0
  (umask 077 && openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -subj "/CN=$cn" \
    -out "$dir/$name.csr") >/dev/null 2>&1 || die "openssl: could not create the key of $name"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days "$CERT_DAYS" \
    -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" >/dev/null 2>&1 || die "openssl: could not sign $name"
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# ensure_secrets: everything above that is missing (all of it on the first run).
ensure_secrets() {
  local dir p ca
  dir=$(secrets_dir)
  mkdir -p "$dir/kafka"
  chmod 700 "$dir" "$dir/kafka"
  if [[ ! -s $dir/ca.pem || ! -s $dir/ca.key ]]; then
    rm -f "$dir"/*.crt "$dir"/*.key "$dir/kafka-keystore.pem" # signed by a CA that is gone
    (umask 077 && openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -days "$CERT_DAYS" -sha256 \
      -subj "/CN=dbmetrics local CA ($STACK)" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign -out "$dir/ca.pem") >/dev/null 2>&1 \
      || die "openssl: could not create the local CA"
    chmod 644 "$dir/ca.pem"
  fi
  issue_cert kafka kafka
  issue_cert redis redis
  issue_cert prometheus prometheus
  chmod 600 "$dir"/*.key
  chmod 644 "$dir"/*.crt
  [[ -s $dir/kafka-keystore.pem ]] || cat "$dir/kafka.key" "$dir/kafka.crt" "$dir/ca.pem" | write_private "$dir/kafka-keystore.pem"
  for p in "${KAFKA_PRINCIPALS[@]}"; do ensure_password "$(kafka_password_file "$p")"; done
  for p in "${REDIS_USERS[@]}"; do ensure_password "$(redis_password_file "$p")"; done
  for p in "${PROMETHEUS_USERS[@]}"; do ensure_password "$(prometheus_password_file "$p")"; done
  [[ -s $(iq_token_file) ]] || random_secret 48 | write_private "$(iq_token_file)"
  ca=$(ca_file)
  for p in "${KAFKA_PRINCIPALS[@]}"; do
    render kafka/client.properties USERNAME="$p" PASSWORD="$(<"$(kafka_password_file "$p")")" CA_FILE="$ca" \
      | write_private "$(kafka_client_properties "$p")"
  done
  render kafka/client.kcat BOOTSTRAP="$(kafka_bootstrap)" MECHANISM="$KCAT_MECHANISM" USERNAME=operator \
    PASSWORD="$(<"$(kafka_password_file operator)")" CA_FILE="$ca" | write_private "$(kcat_config)"
}

# prom_curl CURL_ARGS...: curl against the stack's Prometheus as the operator, trusting the local CA; the credentials
# go to curl on stdin (-K -), so the password appears in no process list.
prom_curl() {
  local user=operator
  printf 'user = "%s:%s"\n' "$user" "$(<"$(prometheus_password_file "$user")")" \
    | curl -K - --cacert "$(ca_file)" "$@"
}
