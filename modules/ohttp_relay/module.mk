# The Oblivious HTTP relay role, on the ODoH proxy's forwarding engine.
REQUIRES.ohttp_relay := odoh_proxy http
