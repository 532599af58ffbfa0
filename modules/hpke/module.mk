# HPKE (RFC 9180) over the crypto module's primitives.
REQUIRES.hpke := crypto
