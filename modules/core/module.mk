# core needs crypto for `odoh-edge version` (mbedtls' version): crypto is always built.
REQUIRES.core := crypto
