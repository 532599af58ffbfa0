# Oblivious HTTP (RFC 9458) encapsulation and Binary HTTP (RFC 9292); pure code over HPKE.
REQUIRES.ohttp := hpke crypto
