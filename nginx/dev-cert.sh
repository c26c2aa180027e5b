#!/bin/sh
# A self-signed TLS certificate for local use of the stack (https://localhost):
#   nginx/dev-cert.sh [DIR]     (default: nginx/certs, where docker-compose.yml mounts it from)
# Writes DIR/fullchain.pem and DIR/privkey.pem, the names certbot uses, so a real certificate
# drops in the same place. Leaves an existing pair alone unless FORCE=1.
set -eu

dir=${1:-"$(dirname "$0")/certs"}
mkdir -p "$dir"
if [ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "dev-cert: $dir already holds a certificate (FORCE=1 to replace it)"
  exit 0
fi

umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 825 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem"
# The key stays 600: nginx's master process reads it as root before dropping privileges.
chmod 644 "$dir/fullchain.pem"
echo "dev-cert: wrote $dir/fullchain.pem and $dir/privkey.pem (self-signed for localhost, 127.0.0.1 and ::1)"
