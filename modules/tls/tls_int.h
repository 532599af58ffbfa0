/*
 * Internal to the tls module: helpers shared by tls.c, tls_auto.c and tls_acme.c. Not for other
 * modules. The random generator both pass to mbedtls is the crypto module's oe_crypto_random.
 */
#ifndef OE_TLS_TLS_INT_H
#define OE_TLS_TLS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

/* Calls add for each subjectAltName of crt: the dNSNames (non-empty, without NUL bytes), then the
 * iPAddresses as text. name is valid during the call only. */
void oe_tls__san_names(const mbedtls_x509_crt *crt,
                       void (*add)(void *arg, const char *name, size_t len), void *arg);

/* "what: mbedtls text (-0xNNNN)" as a heap string. */
char *oe_tls__mbed_msg(const char *what, int mbed_err);

/* Refuses a private key file readable by group or others: OE_OK, -errno, or OE_TLS_EKEYPERM,
 * setting *err (caller frees) when err is not NULL. */
int oe_tls__check_key_mode(const char *path, char **err);

/* tls_auto.c: sets *err (when err is not NULL) to "what: mbedtls text (-0xNNNN)", frees what (a
 * heap string) and returns OE_ECRYPTO: the failure path of a certificate or key being made. */
int oe_tls__crypto_fail(char **err, char *what, int mbed_err);

/* tls_auto.c: frees a subjectAltName list built for mbedtls_x509write (each node on the heap). */
void oe_tls__san_list_free(mbedtls_x509_san_list *san);

/* tls_auto.c: an X.509 time (UTC) as seconds since the epoch. */
int64_t oe_tls__x509_time(const mbedtls_x509_time *t);

/* tls_acme.c: an RFC 8737 validation certificate for name (self-signed, ECDSA P-256, the
 * critical id-pe-acmeIdentifier extension holding digest) into crt and pk (initialised by the
 * caller). OE_OK, or OE_ECRYPTO with *err. */
int oe_tls__acme_validation_cert(const char *name, const uint8_t digest[32], mbedtls_x509_crt *crt,
                                 mbedtls_pk_context *pk, char **err);

#endif
