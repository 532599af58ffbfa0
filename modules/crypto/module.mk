# The crypto unit: every primitive on mbedtls, X25519 from mbedtls' bundled Everest (HACL*) code,
# whose headers live apart from mbedtls' (-isystem: they are not -Wstrict-prototypes clean).
REQUIRES.crypto :=
CPPFLAGS.crypto = -isystem $(VENDOR)/include/everest -isystem $(VENDOR)/include/everest/kremlib
