#ifndef OE_VERSION_H
#define OE_VERSION_H

#include <stdio.h>

/* Prints the version of odoh-edge and of every library it was built with, the X25519 backend
 * and the compiled-in modules. */
void oe_version_print(FILE *out);

/* The same versions as Prometheus labels: version="...",mbedtls="...",libuv="...",nghttp2="...",
 * llhttp="..." (no trailing comma). Returns the length, truncated to cap - 1. */
size_t oe_version_labels(char *out, size_t cap);

/* The shipped odoh-edge.conf, embedded at build time (generated build/default_conf.c). */
extern const char oe_default_conf[];
extern const unsigned long oe_default_conf_len;

#endif
