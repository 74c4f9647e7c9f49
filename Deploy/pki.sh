#!/usr/bin/env bash
# The city's small PKI, with openssl.
#
#   Deploy/pki.sh ca DIR                  city CA: DIR/ca.pem, DIR/ca.key
#   Deploy/pki.sh server DIR NAME...      server certificate for the aggregator: DIR/server.pem,
#                                         DIR/server.key; each NAME (DNS name or IP) a subjectAltName
#   Deploy/pki.sh county DIR CODE         county certificate: DIR/county-CODE.pem, DIR/county-CODE.key
#                                         (CN=county-CODE: the aggregator reads the county from it)
#   Deploy/pki.sh monitor DIR NAME        monitor certificate: DIR/monitor-NAME.pem, .key (CN=monitor-NAME:
#                                         may read /healthz and /metrics, nothing else)
#   Deploy/pki.sh operator DIR NAME       operator certificate for the city console: DIR/operator-NAME.pem,
#                                         .key and .p12 (to import into a browser; its password is
#                                         P12_PASSWORD, or a random one written to operator-NAME.p12.password)
#   Deploy/pki.sh county-server DIR CODE NAME...
#                                         server certificate for a county machine's console:
#                                         DIR/county-server-CODE.pem, .key (serverAuth only: no client of the city)
#   Deploy/pki.sh clerk DIR CODE NAME     clerk certificate for a county's console: DIR/clerk-CODE-NAME.pem,
#                                         .key and .p12 (CN=clerk-CODE-NAME; the city refuses it everywhere)
#
# Keys are created private (mode 0600). Certificates are valid for DAYS days (default 825; CA 3650),
# starting BACKDATE_DAYS days before they are issued (default 2), so a county whose clock runs up to
# that far behind still accepts a freshly issued server certificate (and the city a county's).
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 2 ] || usage
command -v openssl >/dev/null || { echo "pki.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
kind=$1 dir=$2
shift 2
mkdir -p "$dir"
days=${DAYS:-825}

new_key() {  # new_key PATH: an EC P-256 key, private from the start
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
  chmod 600 "$1"
}

need_ca() {
  [ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "pki.sh: no CA in $dir; run: $0 ca $dir" >&2; exit 1; }
}

utc() {  # utc SECONDS-FROM-NOW: an ASN.1 time, YYYYMMDDHHMMSSZ
  date -u -d "@$(( $(date +%s) + $1 ))" +%Y%m%d%H%M%SZ
}

issue() {  # issue CSR OUT EXTFILE DAYS [-selfsign]: `openssl ca`, which (unlike `req -x509` and `x509 -req`
           # in OpenSSL 3.0) sets the start date
  local csr=$1 out=$2 ext=$3 valid=$4 work signer
  work=$(mktemp -d)
  : > "$work/index.txt"
  printf '[ca]\ndefault_ca = city\n[city]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nrand_serial = yes\n' "$work" "$work" > "$work/ca.cnf"
  printf 'default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n[any]\norganizationName = optional\n' >> "$work/ca.cnf"
  printf 'organizationalUnitName = optional\ncommonName = supplied\n' >> "$work/ca.cnf"
  if [ "${5:-}" = -selfsign ]; then signer=(-selfsign); else signer=(-cert "$dir/ca.pem"); fi
  if ! openssl ca -batch -notext -config "$work/ca.cnf" "${signer[@]}" -keyfile "$dir/ca.key" -in "$csr" \
      -startdate "$(utc $(( -86400 * ${BACKDATE_DAYS:-2} )))" -enddate "$(utc $(( 86400 * valid )))" \
      -extfile "$ext" -out "$out" 2>"$work/err"; then
    cat "$work/err" >&2
    rm -rf "$work"
    exit 1
  fi
  rm -rf "$work" "$csr" "$ext"
}

sign() {  # sign NAME SUBJECT EXTFILE
  local name=$1 subject=$2 ext=$3
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  issue "$dir/$name.csr" "$dir/$name.pem" "$ext" "$days"
  echo "$dir/$name.pem"
}

server_ext() {  # server_ext NAME...: an extension file for a server certificate, each NAME (DNS name or IP)
                # a subjectAltName; prints its path
  local sans=() name ext
  for name in "$@"; do
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then sans+=("IP:$name"); else sans+=("DNS:$name"); fi
  done
  ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
    "$(IFS=,; echo "${sans[*]}")" > "$ext"
  echo "$ext"
}

p12() {  # p12 NAME LABEL: DIR/NAME.p12 for a browser to import, key and certificate in one file with a
         # password: P12_PASSWORD, or a random one written to DIR/NAME.p12.password
  local name=$1 label=$2 pass="$dir/$1.p12.password"
  (umask 077 && if [ -n "${P12_PASSWORD:-}" ]; then printf '%s\n' "$P12_PASSWORD"; else openssl rand -hex 12; fi > "$pass")
  (umask 077 && openssl pkcs12 -export -inkey "$dir/$name.key" -in "$dir/$name.pem" -certfile "$dir/ca.pem" \
    -name "$label" -passout "file:$pass" -out "$dir/$name.p12")
  chmod 600 "$dir/$name.p12"
  if [ -n "${P12_PASSWORD:-}" ]; then rm -f "$pass"; else echo "password of $dir/$name.p12: in $pass" >&2; fi
  echo "$dir/$name.p12"
}

case "$kind" in
  ca)
    [ ! -f "$dir/ca.key" ] || { echo "pki.sh: $dir/ca.key exists; refusing to replace the CA" >&2; exit 1; }
    new_key "$dir/ca.key"
    openssl req -new -key "$dir/ca.key" -subj "/O=County Sync/CN=County Sync City CA" -out "$dir/ca.csr" 2>/dev/null
    ext=$(mktemp)
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' > "$ext"
    issue "$dir/ca.csr" "$dir/ca.pem" "$ext" "${CA_DAYS:-3650}" -selfsign
    echo "$dir/ca.pem"
    ;;
  server)
    [ $# -ge 1 ] || usage
    need_ca
    ext=$(server_ext "$@")
    sign server "/O=County Sync/CN=$1" "$ext"
    ;;
  county)
    [ $# -eq 1 ] || usage
    [[ $1 =~ ^[0-9]{6}$ ]] || { echo "pki.sh: county code must be six digits, not $1" >&2; exit 1; }
    need_ca
    ext=$(mktemp)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$ext"
    sign "county-$1" "/O=County Sync/OU=$1/CN=county-$1" "$ext"
    ;;
  county-server)
    [ $# -ge 2 ] || usage
    [[ $1 =~ ^[0-9]{6}$ ]] || { echo "pki.sh: county code must be six digits, not $1" >&2; exit 1; }
    need_ca
    code=$1
    shift
    ext=$(server_ext "$@")
    sign "county-server-$code" "/O=County Sync/OU=$code/CN=$1" "$ext"
    ;;
  clerk)
    [ $# -eq 2 ] || usage
    [[ $1 =~ ^[0-9]{6}$ ]] || { echo "pki.sh: county code must be six digits, not $1" >&2; exit 1; }
    [[ $2 =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || { echo "pki.sh: the clerk's name must be 1 to 32 of a-z, 0-9 and -, not $2" >&2; exit 1; }
    need_ca
    ext=$(mktemp)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$ext"
    sign "clerk-$1-$2" "/O=County Sync/OU=$1/CN=clerk-$1-$2" "$ext"
    p12 "clerk-$1-$2" "County Sync clerk $2 ($1)"
    ;;
  monitor|operator)
    [ $# -eq 1 ] || usage
    [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || { echo "pki.sh: the $kind name must be 1 to 32 of a-z, 0-9 and -, not $1" >&2; exit 1; }
    need_ca
    ext=$(mktemp)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$ext"
    sign "$kind-$1" "/O=County Sync/CN=$kind-$1" "$ext"
    [ "$kind" = operator ] || exit 0
    p12 "operator-$1" "County Sync operator $1"
    ;;
  *) usage ;;
esac
