REQUIRES.odoh_target := http odoh dns
