# Oblivious DoH (RFC 9230) configs and messages; pure code over the HPKE module.
REQUIRES.odoh := hpke crypto
