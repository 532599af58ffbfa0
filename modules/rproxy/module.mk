# Reverse proxy for [site] sections with a backend (the sections themselves belong to http).
REQUIRES.rproxy := http crypto
