REQUIRES.core :=
