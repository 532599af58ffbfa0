# DNS wire format, presentation format, SVCB/HTTPS RDATA, UPDATE + TSIG (pure), and the
# upstream resolver client (upstream.c, libuv). TSIG's HMAC and the query ids' randomness come
# from crypto.
REQUIRES.dns := crypto
