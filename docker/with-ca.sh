#!/bin/sh
# Runs a build step with the CA passed as the build secret `ca` (a TLS proxy's), when there is
# one: the secret is mounted for that step only and never stored in a layer.
if [ -s /run/secrets/ca ]; then
    export SSL_CERT_FILE=/run/secrets/ca REQUESTS_CA_BUNDLE=/run/secrets/ca PIP_CERT=/run/secrets/ca
fi
exec "$@"
