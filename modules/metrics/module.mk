REQUIRES.metrics := http
