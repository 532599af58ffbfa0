/*
 * Internal to the tls module: the objects and helpers shared by its files (tls.c, tls_cert.c,
 * tls_ticket.c, tls_conn.c, tls_auto.c, tls_acme.c). Not for other modules. The random generator
 * they pass to mbedtls is the crypto module's oe_crypto_random.
 */
#ifndef OE_TLS_TLS_INT_H
#define OE_TLS_TLS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls.h"

/* ---- the module's objects ------------------------------------------------------------------ */

/* A chain and key that replaced a certificate's own (oe_tls_cert_replace). Each replacement is
 * kept until the server is freed: a handshake that picked one may still be using it, and
 * replacements are rare (certificate renewals). */
typedef struct cert_material {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    struct cert_material *older;
} cert_material_t;

struct oe_tls_cert {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    char **names; /* dNSNames first, then iPAddresses as text */
    size_t nnames;
    size_t index;
    void *data;
    _Atomic(cert_material_t *) current; /* NULL: chain and key above are in force */
};

struct oe_tls_server {
    atomic_int refs;
    mbedtls_ssl_config conf;
    const char **alpn;
    oe_tls_cert_t **certs;
    size_t ncerts;
    bool tickets;
    pthread_mutex_t ticket_lock; /* mbedtls_ssl_ticket is not thread-safe without THREADING_C */
    mbedtls_ssl_ticket_context ticket;
    uint8_t ticket_bind_key[32]; /* HMAC key binding each ticket to its server name */
    /* TLS-ALPN-01 (RFC 8737): validation certificates by name, under acme_lock. Cleared ones
     * stay allocated (inactive) until the server is freed: a handshake may still use them. */
    pthread_mutex_t acme_lock;
    struct acme_cert *acme;
};

typedef struct acme_cert {
    char *name;
    bool active;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    struct acme_cert *next;
} acme_cert_t;

struct oe_tls_client {
    atomic_int refs;
    mbedtls_ssl_config conf;
    const char **alpn;
    mbedtls_x509_crt ca;
    bool insecure;
};

/* Reads after which a connection keeps its input queue's buffer between reads (bio_recv). */
#define FEEDS_KEEP 8

/* A byte queue: unread bytes are base[start, end). The two queues of a connection hold only
 * what goes over the wire (records as received, records as sealed), never plaintext or keys:
 * nothing in them needs wiping. */
typedef struct ioq {
    uint8_t *base;
    size_t start, end, cap;
} ioq_t;

struct oe_tls_conn {
    mbedtls_ssl_context ssl;
    oe_tls_server_t *srv; /* exactly one of srv, cli */
    oe_tls_client_t *cli;
    ioq_t in, out;
    unsigned feeds; /* oe_tls_feed calls, counted up to FEEDS_KEEP */
    const oe_tls_cert_t *cert;
    char *sni;
    int last_mbed_err;
    uint32_t verify_flags;
    bool done;
    bool ticket_accepted; /* server: a session ticket parsed during this handshake */
    bool saw_cert;        /* client: the server sent a certificate */
    bool oom;
    mbedtls_ssl_session *ticket_session; /* client TLS 1.3: last NewSessionTicket */
};

/* ---- tls.c ----------------------------------------------------------------------------------- */

/* "what: mbedtls text (-0xNNNN)" as a heap string. */
char *oe_tls__mbed_msg(const char *what, int mbed_err);

/* Sets *err to msg (a heap string) when err is not NULL, else frees msg. */
void oe_tls__set_err(char **err, char *msg);

/* Drop one reference; the last one frees the configuration (NULL is ignored). */
void oe_tls__server_unref(oe_tls_server_t *srv);
void oe_tls__client_unref(oe_tls_client_t *cli);

/* ---- tls_cert.c ------------------------------------------------------------------------------ */

/* Reads a whole regular file (at most 16 MiB) into *out (heap, NUL-terminated) and its length
 * without the NUL into *len; "PATH: cannot read the WHAT file: ..." in *err on failure. OE_OK or
 * -errno. The caller releases the buffer with oe_tls__free_file, which wipes it. */
int oe_tls__read_file(const char *path, const char *what, char **out, size_t *len, char **err);
void oe_tls__free_file(char *buf, size_t len);

/* Calls add for each subjectAltName of crt: the dNSNames (non-empty, without NUL bytes), then the
 * iPAddresses as text. name is valid during the call only. */
void oe_tls__san_names(const mbedtls_x509_crt *crt,
                       void (*add)(void *arg, const char *name, size_t len), void *arg);

/* Refuses a private key file readable by group or others: OE_OK, -errno, or OE_TLS_EKEYPERM,
 * setting *err (caller frees) when err is not NULL. */
int oe_tls__check_key_mode(const char *path, char **err);

/* Frees a certificate made by oe_tls_server_add_cert, its replacements and names (NULL ignored). */
void oe_tls__cert_free(oe_tls_cert_t *cert);

/* ---- tls_ticket.c ---------------------------------------------------------------------------- */

/* The connection whose handshake runs on this thread (set by oe_tls_handshake), for the ticket
 * callbacks, which mbedtls gives no connection pointer. */
extern _Thread_local oe_tls_conn_t *oe_tls__current_conn;

/* mbedtls_ssl_ticket_write_t / _parse_t for mbedtls_ssl_conf_session_tickets_cb, p the server:
 * mbedtls' sealed ticket plus a tag binding it to the handshake's server name. */
int oe_tls__ticket_write(void *p, const mbedtls_ssl_session *session, unsigned char *start,
                         const unsigned char *end, size_t *tlen, uint32_t *lifetime);
int oe_tls__ticket_parse(void *p, mbedtls_ssl_session *session, unsigned char *buf, size_t len);

/* ---- tls_auto.c, tls_acme.c ------------------------------------------------------------------ */

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
