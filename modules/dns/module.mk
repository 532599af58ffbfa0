# DNS wire format, presentation format, SVCB/HTTPS RDATA, UPDATE + TSIG (no I/O).
REQUIRES.dns :=
