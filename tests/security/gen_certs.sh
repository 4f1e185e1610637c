#!/bin/sh
# Generates a throw-away PKI for the TLS tests (issue #17) into directory $1:
#   ca.crt/ca.key          the test CA
#   server.crt/server.key  signed by the CA, CN and SAN for 127.0.0.1 / localhost
#   client.crt/client.key  signed by the CA, extendedKeyUsage clientAuth
#   other-ca.crt/.key      an unrelated CA, and other-client.crt/.key signed by it (must be refused)
#   server-only.crt/.key   extendedKeyUsage serverAuth only (cannot act as a client certificate)
#   server-pass.key        server.key encrypted with the passphrase "keelpass" (tls-key-file-pass)
#   dh.pem                 DH parameters: the RFC 7919 group ffdhe2048 (instant; OpenSSL 3
#                          refuses 1024-bit ones at its default security level)
# With a second argument "redis-suite", $1 also gets the layout Redis's test suite reads from
# tests/tls in --tls mode: server.crt/.key (serverAuth only), client.crt/.key, redis.crt/.key
# (both usages), ca.crt, redis.dh.
# Only the openssl CLI is used; every key is fresh, nothing is committed.
set -eu
dir=${1:?usage: gen_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

days=2
subj_base="/O=Keel Test"

ca() {   # name
    openssl genrsa -out "$1.key" 2048 2>/dev/null
    openssl req -x509 -new -nodes -sha256 -key "$1.key" -days "$days" \
        -subj "$subj_base/CN=$1 Certificate Authority" -out "$1.crt"
}

leaf() {   # name ca usage
    openssl genrsa -out "$1.key" 2048 2>/dev/null
    printf '%s\n' \
        "basicConstraints=CA:FALSE" \
        "keyUsage=digitalSignature,keyEncipherment" \
        "extendedKeyUsage=$3" \
        "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$1.ext"
    openssl req -new -sha256 -key "$1.key" -subj "$subj_base/CN=$1" -out "$1.csr"
    openssl x509 -req -sha256 -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
        -days "$days" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca
ca other-ca
leaf server ca serverAuth,clientAuth
leaf client ca clientAuth
leaf server-only ca serverAuth
leaf other-client other-ca clientAuth
openssl rsa -in server.key -aes256 -passout pass:keelpass -out server-pass.key 2>/dev/null
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh.pem 2>/dev/null
chmod 600 ./*.key
if [ "${2:-}" = redis-suite ]; then
    cp server.crt redis.crt && cp server.key redis.key
    mv server-only.crt server.crt && mv server-only.key server.key
    cp dh.pem redis.dh
fi
