#!/usr/bin/env bash
# Production PKI with openssl, following RUNBOOK.md. Subcommands:
#   make-pki.sh ca DIR                         offline device CA (P-256), 10 years
#   make-pki.sh server DIR HOSTNAME [IP]       server key + CSR + certificate signed by the CA
#   make-pki.sh device DIR ROLE DEVICE_ID      device key + certificate, OU=ROLE, CN=DEVICE_ID
# Then register each device: facepay devices add --role ROLE --id DEVICE_ID [--merchant M]
set -euo pipefail
umask 077
command=${1:?usage: make-pki.sh ca|server|device DIR ...}
dir=${2:?directory}
mkdir -p "$dir"
case "$command" in
ca)
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/device-ca.key"
    openssl req -x509 -new -key "$dir/device-ca.key" -sha256 -days 3650 \
        -subj "/O=FacePay/CN=FacePay Device CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$dir/device-ca.pem"
    echo "wrote $dir/device-ca.pem (keep device-ca.key offline)"
    ;;
server)
    host=${3:?hostname}
    ip=${4:-}
    san="DNS:$host"
    [ -n "$ip" ] && san="$san,IP:$ip"
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key"
    openssl req -new -key "$dir/server.key" -subj "/O=FacePay/CN=$host" -out "$dir/server.csr"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/device-ca.pem" -CAkey "$dir/device-ca.key" \
        -CAcreateserial -days 397 -sha256 \
        -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san") \
        -out "$dir/server.pem"
    echo "wrote $dir/server.pem and $dir/server.key"
    ;;
device)
    role=${3:?role: terminal, kiosk or auditor}
    id=${4:?device id}
    case "$role" in terminal|kiosk|auditor) ;; *) echo "role must be terminal, kiosk or auditor" >&2; exit 2 ;; esac
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$id.key"
    openssl req -new -key "$dir/$id.key" -subj "/O=FacePay/OU=$role/CN=$id" -out "$dir/$id.csr"
    openssl x509 -req -in "$dir/$id.csr" -CA "$dir/device-ca.pem" -CAkey "$dir/device-ca.key" \
        -CAcreateserial -days 397 -sha256 \
        -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') \
        -out "$dir/$id.pem"
    rm -f "$dir/$id.csr"
    echo "wrote $dir/$id.pem and $dir/$id.key; now: facepay devices add --role $role --id $id"
    ;;
*)
    echo "unknown command $command" >&2; exit 2 ;;
esac
