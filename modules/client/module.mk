# The query command: ODoH, OHTTP and DoH client.
REQUIRES.client := http odoh ohttp dns
