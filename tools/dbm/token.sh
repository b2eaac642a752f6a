# shellcheck shell=bash
# Sourced by ./dbm: the development HS256 secret (.dbm/dev-jwt-secret) and the development JWTs signed with it.

dev_secret() {
  if [[ ! -s $SECRET_FILE ]]; then
    mkdir -p "$DBM_DIR"
    local s tmp
    s=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
    s=${s:0:48}
    ((${#s} == 48)) || die "could not generate the development secret"
    tmp=$(mktemp "$DBM_DIR/.secret.XXXXXX")
    chmod 600 "$tmp"
    printf '%s' "$s" >"$tmp"
    mv -n "$tmp" "$SECRET_FILE" # a concurrent dbm may have won: keep its secret
    rm -f "$tmp"
    chmod 600 "$SECRET_FILE"
  fi
  tr -d '\n' <"$SECRET_FILE"
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# make_token USER TTL ADMIN(true|false) TENANT...
make_token() {
  local user=$1 ttl=$2 admin=$3 secret now header payload input sig
  shift 3
  secret=$(dev_secret)
  now=$(date +%s)
  header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
  payload=$(jq -cjn --arg sub "$user" --arg iss "$DEV_TOKEN_ISSUER" --argjson iat "$now" \
    --argjson exp $((now + ttl)) --argjson admin "$admin" \
    '{sub: $sub, tenants: $ARGS.positional, roles: (if $admin then ["admin"] else [] end),
      iat: $iat, exp: $exp, iss: $iss}' --args "$@" | b64url)
  input=$header.$payload
  sig=$(printf '%s' "$input" | openssl dgst -sha256 -mac HMAC -macopt "key:$secret" -binary | b64url)
  printf '%s.%s\n' "$input" "$sig"
}

cmd_token() {
  local user='' ttl=86400 admin=false tenants=()
  while (($#)); do
    case $1 in
      --user) user=${2:-}; shift 2 || die "--user needs a value" ;;
      --tenant) tenants+=("${2:-}"); shift 2 || die "--tenant needs a value" ;;
      --admin) admin=true; shift ;;
      --ttl) ttl=${2:-}; shift 2 || die "--ttl needs a value" ;;
      -h | --help) usage; return 0 ;;
      *) die "token: unknown argument '$1' (see ./dbm help)" ;;
    esac
  done
  [[ -n $user ]] || die "token: --user is required"
  [[ $ttl =~ ^[1-9][0-9]*$ ]] || die "token: --ttl must be a positive number of seconds, was '$ttl'"
  local t id='[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}'
  for t in "${tenants[@]}"; do
    [[ $t =~ ^$id/($id|\*)$ ]] || die "token: --tenant must be DOMAIN/PROJECT or DOMAIN/*, was '$t'"
  done
  ((${#tenants[@]} > 0)) || [[ $admin == true ]] || die "token: give at least one --tenant DOMAIN/PROJECT"
  install_for token
  make_token "$user" "$ttl" "$admin" "${tenants[@]}"
}
