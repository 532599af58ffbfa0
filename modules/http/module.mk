REQUIRES.http := tls
