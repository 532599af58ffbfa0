REQUIRES.client := http odoh dns
