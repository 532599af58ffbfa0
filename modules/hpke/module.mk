# HPKE (RFC 9180) on mbedtls crypto. X25519 comes from mbedtls' bundled Everest (HACL*) code,
# whose headers live apart from mbedtls' (-isystem: they are not -Wstrict-prototypes clean).
REQUIRES.hpke :=
CPPFLAGS.hpke = -isystem $(VENDOR)/include/everest -isystem $(VENDOR)/include/everest/kremlib
