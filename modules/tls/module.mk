# tls: mbedtls TLS/X.509 engine (server + client, SNI, ALPN, tickets, cert = auto). Its random
# generator and its HMAC come from crypto.
REQUIRES.tls := crypto
