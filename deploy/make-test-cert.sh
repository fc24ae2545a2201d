#!/usr/bin/env bash
# A throw-away test CA and a server certificate for the balancer's TLS port
# (OCPP security profile 2 on a development or CI machine), made with openssl at run
# time. Never commit what it writes: private keys stay in the output directory.
#
#   deploy/make-test-cert.sh DIR [NAME...]
#
# writes DIR/ca.pem (the CA certificate stations and tests trust), DIR/server.pem
# (certificate + key, the form HAProxy's `crt` wants) and DIR/server.crt, for the
# names given (default: localhost 127.0.0.1 ::1). The CA's key is thrown away once
# it has signed, so nothing else can ever be made to look trusted by ca.pem.
set -euo pipefail

dir=${1:?usage: $0 DIR [NAME...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1 ::1)

command -v openssl >/dev/null || { echo "openssl is missing: apt-get install -y openssl" >&2; exit 1; }
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

san=""
for name in "${names[@]}"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
san=${san%,}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The CA: an EC P-256 key (fast to make), valid 30 days.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$work/ca.key" -out "$work/ca.pem" -days 30 \
  -subj "/O=ChargeNet test/CN=ChargeNet test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# The server certificate, signed by the CA.
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$work/server.key" -out "$work/server.csr" \
  -subj "/O=ChargeNet test/CN=${names[0]}" 2>/dev/null
cat >"$work/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -out "$work/server.crt" -days 30 -extfile "$work/server.ext" 2>/dev/null

cat "$work/server.crt" "$work/server.key" >"$work/server.pem"
install -m 600 "$work/server.pem" "$dir/"
install -m 644 "$work/ca.pem" "$work/server.crt" "$dir/"
echo "Test certificate for ${names[*]} in $dir (CA: $dir/ca.pem)"
