#!/usr/bin/env bash
# The city's small PKI, with openssl.
#
#   Deploy/pki.sh ca DIR                  city CA: DIR/ca.pem, DIR/ca.key
#   Deploy/pki.sh server DIR NAME...      server certificate for the aggregator: DIR/server.pem,
#                                         DIR/server.key; each NAME (DNS name or IP) a subjectAltName
#   Deploy/pki.sh county DIR CODE         county certificate: DIR/county-CODE.pem, DIR/county-CODE.key
#                                         (CN=county-CODE: the aggregator reads the county from it)
#
# Keys are created private (mode 0600). Certificates are valid for DAYS days (default 825; CA 3650).
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
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

sign() {  # sign NAME SUBJECT EXTFILE
  local name=$1 subject=$2 ext=$3
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
  echo "$dir/$name.pem"
}

case "$kind" in
  ca)
    [ ! -f "$dir/ca.key" ] || { echo "pki.sh: $dir/ca.key exists; refusing to replace the CA" >&2; exit 1; }
    new_key "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "${CA_DAYS:-3650}" \
      -subj "/O=County Sync/CN=County Sync City CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.pem" 2>/dev/null
    echo "$dir/ca.pem"
    ;;
  server)
    [ $# -ge 1 ] || usage
    need_ca
    sans=()
    for name in "$@"; do
      if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then sans+=("IP:$name"); else sans+=("DNS:$name"); fi
    done
    ext=$(mktemp)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
      "$(IFS=,; echo "${sans[*]}")" > "$ext"
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
  *) usage ;;
esac
