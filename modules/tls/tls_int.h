/*
 * Internal to the tls module: the process-wide random generator and helpers shared by tls.c and
 * tls_auto.c. Not for other modules.
 */
#ifndef OE_TLS_TLS_INT_H
#define OE_TLS_TLS_INT_H

#include <stddef.h>

/* mbedtls f_rng over one process-wide CTR_DRBG (seeded from mbedtls_entropy in
 * oe_tls_global_init), serialised by a mutex so any thread may call it. ctx is ignored. */
int oe_tls__rng(void *ctx, unsigned char *out, size_t len);

/* "what: mbedtls text (-0xNNNN)" as a heap string. */
char *oe_tls__mbed_msg(const char *what, int mbed_err);

/* Refuses a private key file readable by group or others: OE_OK, -errno, or OE_TLS_EKEYPERM,
 * setting *err (caller frees) when err is not NULL. */
int oe_tls__check_key_mode(const char *path, char **err);

#endif
