# shellcheck shell=bash
# Sourced by ./dbm: the development HS256 secret (.dbm/dev-jwt-secret) and the development tokens signed with it, minted
# by the query-api jar's `token` command (beside the authenticator that checks them).

# dev_secret_file: the path of the secret, created (48 random characters, mode 600) when missing.
dev_secret_file() {
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
  printf '%s' "$SECRET_FILE"
}

# mint_token --user U --tenant D/P [--tenant ...] [--admin] [--ttl SECONDS]: the token on stdout; a bad argument is one
# line on stderr (exit status 2).
mint_token() {
  local jar
  jar=$ROOT/$(app_jar api)
  AUTH_JWT_SECRET_FILE=$(dev_secret_file) AUTH_JWT_ISSUER=$DEV_TOKEN_ISSUER \
    java "${TOOL_JVM_OPTS[@]}" -jar "$jar" token "$@"
}

cmd_token() {
  install_for token
  ensure_jars api
  mint_token "$@"
}
