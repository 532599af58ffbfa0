# The Oblivious HTTP gateway role: decapsulates, answers DNS through the target in-process
# (other allowed origins through the proxy's forwarding engine).
REQUIRES.ohttp_gateway := ohttp http odoh_target keys odoh_proxy
