REQUIRES.metrics :=
