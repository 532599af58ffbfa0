# crypto: every primitive on mbedtls behind one API (hash, HMAC, HKDF, AEAD, X25519, the random
# generator, ECDSA P-256) and constant-time encodings. No config section. X25519 comes from
# mbedtls' bundled Everest (HACL*) code, whose headers live apart from mbedtls' (-isystem: they
# are not -Wstrict-prototypes clean).
REQUIRES.crypto :=
CPPFLAGS += -isystem $(VENDOR)/include/everest -isystem $(VENDOR)/include/everest/kremlib
