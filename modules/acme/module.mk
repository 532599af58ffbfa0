# acme: certificates from an ACME server (RFC 8555) on the HTTPS client, swapped into the TLS
# server without a restart.
REQUIRES.acme := http tls crypto dns
