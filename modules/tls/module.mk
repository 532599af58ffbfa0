# tls: mbedtls TLS/X.509 engine (server + client, SNI, ALPN, tickets, cert = auto).
REQUIRES.tls :=
