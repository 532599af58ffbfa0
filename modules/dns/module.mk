# DNS wire format, presentation format, SVCB/HTTPS RDATA, UPDATE + TSIG (pure), and the
# upstream resolver client (upstream.c, libuv).
REQUIRES.dns := hpke
