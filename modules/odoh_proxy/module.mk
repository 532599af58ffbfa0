REQUIRES.odoh_proxy := http dns
