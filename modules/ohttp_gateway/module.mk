# The Oblivious HTTP gateway role: decapsulates, answers DNS through the target in-process.
REQUIRES.ohttp_gateway := ohttp http odoh_target keys
