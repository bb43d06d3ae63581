#!/usr/bin/env bash
# The mariadb/mysql command-line client over TLS against a Quarry server with
# TLS on: --ssl without verification (ssl-mode=REQUIRED), --ssl-ca with
# --ssl-verify-server-cert (VERIFY_CA; the client also checks the host name,
# which the generated certificate has as an IP SAN), and a plain connection
# (--skip-ssl) under require_secure_transport. Reports "ok <check>" /
# "fail <check>: <why>" per check and "done" at the end (see
# ../harness_test.go).
# Environment: QUARRY_HOST, QUARRY_PORT, QUARRY_USER; QUARRY_TLS_CA is the
# server's certificate (Quarry's generated DATA_DIR/tls/server-cert.pem),
# QUARRY_TLS_WRONG_CA a certificate that did not sign it. MYSQL names the
# binary (default: mariadb, else mysql); the options are the MariaDB
# client's (MySQL's own client spells them --ssl-mode=REQUIRED/VERIFY_CA).
# It sets require_secure_transport ON and back OFF.
set -u
cd "$(dirname "$0")"

MYSQL=${MYSQL:-$(command -v mariadb || command -v mysql)}
CA=${QUARRY_TLS_CA:?QUARRY_TLS_CA: the server certificate}
WRONG_CA=${QUARRY_TLS_WRONG_CA:?QUARRY_TLS_WRONG_CA: a certificate that did not sign the server one}

conn=(--no-defaults --protocol=TCP -h "${QUARRY_HOST:-127.0.0.1}" -P "${QUARRY_PORT:-3306}" -u "${QUARRY_USER:-root}")
plain=(--skip-ssl)
required=(--ssl --ssl-verify-server-cert=0)
verify_ca=(--ssl-ca="$CA" --ssl-verify-server-cert)
wrong_ca=(--ssl-ca="$WRONG_CA" --ssl-verify-server-cert)

# q TLS-OPTION-ARRAY-NAME ARGS...: batch mode, no column names.
q() {
  local -n opts=$1
  shift
  timeout 15 "$MYSQL" "${conn[@]}" "${opts[@]}" --connect-timeout=5 --batch --skip-column-names "$@"
}

# ssl_line OPTS: the client's own view of the connection ("SSL: ..." from
# its status command), e.g. "Cipher in use is TLS_AES_128_GCM_SHA256".
ssl_line() {
  local out
  out=$(q "$1" -e "status") || return 1
  printf '%s\n' "$out" | sed -n 's/^SSL:[[:space:]]*//p'
}

one_line() { tr '\n\t' '  ' | cut -c1-700; }

check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok $name"
  else
    echo "fail $name: $(printf '%s' "$out" | one_line)"
  fi
}

expect() {
  if [ "$2" != "$3" ]; then
    printf '%s:\n got: %s\nwant: %s\n' "$1" "$2" "$3"
    return 1
  fi
}

# uses_tls OPTS: connects and the client reports a cipher in use.
uses_tls() {
  local s
  s=$(ssl_line "$1") || return 1
  [[ "$s" == "Cipher in use is "* ]] || { echo "SSL: $s, want a cipher in use"; return 1; }
}

# refused OPTS ERRNO: the connection fails with error ERRNO.
refused() {
  local out
  if out=$(q "$1" -e "SELECT 1" 2>&1); then
    echo "connected (got: $out), want ERROR $2"
    return 1
  fi
  [[ "$out" == *"ERROR $2 "* ]] || { echo "got: $out, want ERROR $2"; return 1; }
}

c_plain_connect() {
  "$MYSQL" --version
  expect "SSL with --skip-ssl" "$(ssl_line plain)" "Not in use"
}

c_ssl_required() { uses_tls required; }

# The server's view: Ssl_cipher and Ssl_version are the session's TLS
# cipher and protocol on MySQL; the cipher is the one the client reports.
c_ssl_status() {
  local s cipher got
  s=$(ssl_line required) || return 1
  cipher=${s#Cipher in use is }
  cipher=${cipher%%,*}
  got=$(q required -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'; SHOW SESSION STATUS LIKE 'Ssl_version'" | tr '\n\t' ' =') || return 1
  case "$got" in
    "Ssl_cipher=$cipher Ssl_version=TLSv1.3 " | "Ssl_cipher=$cipher Ssl_version=TLSv1.2 ") ;;
    *) printf 'got: %s\nwant: Ssl_cipher=%s Ssl_version=TLSv1.3 (or TLSv1.2)\n' "$got" "$cipher"; return 1 ;;
  esac
}

c_verify_ca() { uses_tls verify_ca; }

# Another CA: the client refuses the server's certificate (2026).
c_verify_ca_wrong() { refused wrong_ca 2026; }

set_rst() {
  expect "@@global.require_secure_transport" \
    "$(q required -e "SET GLOBAL require_secure_transport = $1; SELECT @@global.require_secure_transport")" "$2"
}

c_rst_on() { set_rst ON 1; }
c_rst_plain_refused() { refused plain 3159; }
c_rst_ssl_required() { uses_tls required; }
c_rst_verify_ca() { uses_tls verify_ca; }
c_rst_off() {
  set_rst OFF 0 || return 1
  expect "SSL with --skip-ssl" "$(ssl_line plain)" "Not in use"
}

check plain_connect c_plain_connect
check ssl_required c_ssl_required
check ssl_status c_ssl_status
check verify_ca c_verify_ca
check verify_ca_wrong c_verify_ca_wrong
check require_secure_transport/set_on c_rst_on
trap 'q required -e "SET GLOBAL require_secure_transport = OFF" >/dev/null 2>&1' EXIT
check require_secure_transport/plain_refused c_rst_plain_refused
check require_secure_transport/ssl_required c_rst_ssl_required
check require_secure_transport/verify_ca c_rst_verify_ca
check require_secure_transport/off_again c_rst_off
echo done
