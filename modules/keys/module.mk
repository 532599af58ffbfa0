REQUIRES.keys := odoh_target dns
