/*
 * TLS engine: the only unit that includes mbedtls TLS and X.509 headers.
 *
 * A connection is a memory-buffer engine (the ustream-ssl WANT_READ pattern): the caller feeds the
 * ciphertext it received from its socket with oe_tls_feed(), drives the handshake, reads and
 * writes plaintext, and sends whatever oe_tls_pending_out() shows, then oe_tls_consume_out(). The
 * engine never touches a socket, a clock or a loop; time-outs are the caller's job.
 *
 * Typical server loop, on every readable/writable event:
 *
 *     oe_tls_feed(c, bytes, n);                  // what the socket gave us
 *     rc = oe_tls_handshake(c);                  // until OE_OK; OE_TLS_WANT_IO = feed more
 *     while ((n = oe_tls_read(c, buf, cap)) > 0) // plaintext for the HTTP layer
 *         ...;
 *     out = oe_tls_pending_out(c);               // ciphertext to send (also after errors: alerts)
 *     send(out.base, out.len) -> sent; oe_tls_consume_out(c, sent);
 *
 * Thread-safety. An oe_tls_server_t or oe_tls_client_t is built on one thread (new, add_cert,
 * ...), then is read-only: oe_tls_conn_new_server()/oe_tls_conn_new_client() and everything on
 * the resulting connections may be called from several threads at once, provided each connection
 * is used by one thread at a time. The shared mutable parts (the random generator, the session
 * ticket keys and their rotation) are behind a mutex of this unit. Servers and clients are
 * reference counted: a connection keeps its server alive, so oe_tls_server_free() may be called
 * (e.g. after a reload built a new one) while old connections still run.
 *
 * NOTE: mbedtls 3.6's PSA key store (used by every TLS 1.3 and 1.2 handshake under
 * MBEDTLS_USE_PSA_CRYPTO) is thread-safe only when MBEDTLS_THREADING_C and
 * MBEDTLS_THREADING_PTHREAD are enabled in vendor/mbedtls_config.h; oe_tls_threadsafe() reports
 * whether they are. Without them, run all connections on one thread.
 */
#ifndef OE_TLS_TLS_H
#define OE_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/oe.h"

/* Codes of this unit (negative, above core's range). OE_TLS_WANT_IO is not an error: the engine
 * needs more ciphertext input (feed and retry). */
#define OE_TLS_WANT_IO  (-(OE_ERR_BASE + 100)) /* feed more input, then call again */
#define OE_TLS_ECLOSED  (-(OE_ERR_BASE + 101)) /* the peer sent close_notify (clean end) */
#define OE_TLS_EVERIFY  (-(OE_ERR_BASE + 102)) /* peer certificate verification failed */
#define OE_TLS_EPROTO   (-(OE_ERR_BASE + 103)) /* handshake/protocol failure or fatal alert */
#define OE_TLS_EALERT   (-(OE_ERR_BASE + 104)) /* the peer sent a fatal alert */
#define OE_TLS_EINBUF   (-(OE_ERR_BASE + 105)) /* too much unread input buffered (caller bug) */
#define OE_TLS_EKEYPERM (-(OE_ERR_BASE + 106)) /* a private key file is readable by others */
#define OE_TLS_ENOCERT  (-(OE_ERR_BASE + 107)) /* server has no certificate */

/* TLS protocol versions as on the wire. */
#define OE_TLS_V12 0x0303
#define OE_TLS_V13 0x0304

/* Most ciphertext oe_tls_feed() buffers before the caller reads it (records are <= 16 KiB + 256).
 */
#define OE_TLS_MAX_INBUF (256 * 1024)

/* A message for any code above, or any core/errno code. Never NULL, static. */
const char *oe_tls_strerror(int err);

/* Initialises PSA crypto (mbedtls 3.6 TLS 1.3 needs it) once per process. Idempotent and
 * thread-safe; the *_new functions call it themselves. Returns OE_OK or OE_ECRYPTO. */
int oe_tls_global_init(void);

/* True when mbedtls was built with MBEDTLS_THREADING_C (see the note above). */
bool oe_tls_threadsafe(void);

/* ---- certificates ------------------------------------------------------------------------ */

/* One loaded certificate (chain + key) of a server; owned by the server, valid as long as it. */
typedef struct oe_tls_cert oe_tls_cert_t;

/* True when the certificate's subjectAltNames cover host: an exact dNSName (ASCII case-
 * insensitive), a wildcard "*.example.test" matching exactly one left-most label
 * ("a.example.test", not "example.test" nor "a.b.example.test"), or an iPAddress written as text.
 * host is a borrowed slice without port; one trailing dot is ignored. NULL cert covers nothing. */
bool oe_tls_cert_covers(const oe_tls_cert_t *cert, oe_slice_t host);

/* The certificate's names: the i-th SAN (dNSNames as written, e.g. "*.example.test", then
 * iPAddresses as text), or NULL when i >= count. Borrowed from the cert. */
const char *oe_tls_cert_name(const oe_tls_cert_t *cert, size_t i);
size_t oe_tls_cert_name_count(const oe_tls_cert_t *cert);

/* Position of the certificate in its server, in the order they were added (0 = default). */
size_t oe_tls_cert_index(const oe_tls_cert_t *cert);

/* An opaque pointer the caller attaches to a certificate (e.g. its ORIGIN set); set it before
 * connections start. Borrowed, never freed by this unit. */
void oe_tls_cert_set_data(oe_tls_cert_t *cert, void *data);
void *oe_tls_cert_data(const oe_tls_cert_t *cert);

/* Replaces the chain and key a certificate serves, for new handshakes, while connections keep
 * running (certificate renewal, modules/acme). The files load as for oe_tls_server_add_cert, and
 * the new leaf must cover every name of the certificate it replaces (the names, and the ORIGIN
 * set computed for them, stay). Safe while handshakes run on other threads: a handshake takes
 * whichever chain is in force when it picks the certificate, and replaced chains stay allocated
 * until the server is freed. Call from one thread at a time. OE_OK, or an error as for
 * oe_tls_server_add_cert (with *err), or OE_ECONFIG when a name would no longer be covered. */
int oe_tls_cert_replace(oe_tls_cert_t *cert, const char *cert_pem_path, const char *key_pem_path,
                        char **err);

/* ---- server ------------------------------------------------------------------------------ */

typedef struct oe_tls_server oe_tls_server_t;

typedef struct oe_tls_server_opts {
    /* ALPN protocols in server preference order, NULL-terminated; copied. NULL = {"h2",
     * "http/1.1"}. The server picks its most preferred protocol the client offers. */
    const char *const *alpn;
    int min_version; /* OE_TLS_V12 (default when 0) or OE_TLS_V13 */
    int max_version; /* OE_TLS_V13 (default when 0) or OE_TLS_V12 */
    bool no_tickets; /* disable session tickets (default: enabled) */
    /* Ticket key rotation interval and ticket lifetime in seconds; 0 = 86400. A ticket stays
     * valid for up to twice this (current and previous key). */
    uint32_t ticket_lifetime;
} oe_tls_server_opts_t;

/* A server context without certificates. opts may be NULL for the defaults. On failure returns
 * NULL and, if err is not NULL, sets *err to a message the caller frees. */
oe_tls_server_t *oe_tls_server_new(const oe_tls_server_opts_t *opts, char **err);

/* Loads a certificate chain (PEM, leaf first, then intermediates; or one DER certificate) and its
 * unencrypted private key (PEM or DER: PKCS#1, SEC1 or PKCS#8) from files (paths borrowed). Keys:
 * RSA of 2048 bits or more (TLS 1.3 signs with RSASSA-PSS, 1.2 with PKCS#1 v1.5), ECDSA P-256 or
 * P-384; anything else is refused here rather than failing every handshake later. The names come
 * from the leaf's subjectAltName extension (dNSName, iPAddress); a certificate without them is
 * refused. The first certificate added is the default (no SNI, or SNI that matches no
 * certificate). A key file whose mode has any group/other bit (mode & 077) is refused with
 * OE_TLS_EKEYPERM and the message "FILE: private key is readable by group or others (mode 0644);
 * run chmod 600 FILE". Not concurrent with connections of this server. On success returns OE_OK
 * and, if out is not NULL, the new certificate (owned by the server). Errors, each with *err set
 * when err is not NULL to a message that starts with the file at fault ("FILE: ..."):
 *   -errno       a file cannot be read ("FILE: cannot read the certificate file: No such file or
 *                directory"; also "Is a directory", "Permission denied", ...);
 *   OE_EFORMAT   not a certificate / not a key (which one, and which certificate of the file),
 *                cert and key swapped, an encrypted key, an unsupported key type or curve, no SAN;
 *   OE_ECONFIG   the key does not match the certificate, an RSA key under 2048 bits;
 *   OE_TLS_EKEYPERM. */
int oe_tls_server_add_cert(oe_tls_server_t *srv, const char *cert_pem_path,
                           const char *key_pem_path, oe_tls_cert_t **out, char **err);

/* Number of certificates and the i-th one (NULL when out of range). */
size_t oe_tls_server_cert_count(const oe_tls_server_t *srv);
oe_tls_cert_t *oe_tls_server_cert(const oe_tls_server_t *srv, size_t i);

/* The certificate a connection with this SNI would get (exact names first, then wildcards, then
 * the default). NULL only when the server has no certificate. */
const oe_tls_cert_t *oe_tls_server_pick_cert(const oe_tls_server_t *srv, oe_slice_t sni);

/* Drops the caller's reference; the server is freed once its last connection is freed too. */
void oe_tls_server_free(oe_tls_server_t *srv);

/* ---- client ------------------------------------------------------------------------------ */

typedef struct oe_tls_client oe_tls_client_t;

typedef struct oe_tls_client_opts {
    /* PEM file of trusted CAs (borrowed); NULL = the system bundle
     * /etc/ssl/certs/ca-certificates.crt. Ignored when insecure. */
    const char *ca_file;
    /* Skip certificate and host name verification (tests, explicit operator choice only). */
    bool insecure;
    /* ALPN protocols offered, in preference order, NULL-terminated; copied. NULL = none. */
    const char *const *alpn;
    int min_version; /* OE_TLS_V12 (default when 0) or OE_TLS_V13 */
    int max_version; /* OE_TLS_V13 (default when 0) or OE_TLS_V12 */
} oe_tls_client_opts_t;

/* A client context; NULL with *err (caller frees) on failure, e.g. an unreadable CA file ("FILE:
 * cannot read the CA file: No such file or directory"). */
oe_tls_client_t *oe_tls_client_new(const oe_tls_client_opts_t *opts, char **err);
/* Drops the caller's reference; freed once its last connection is freed too. */
void oe_tls_client_free(oe_tls_client_t *cli);

/* ---- connections ------------------------------------------------------------------------- */

typedef struct oe_tls_conn oe_tls_conn_t;

/* A server-side connection in its initial state. NULL when memory or mbedtls setup fails, or when
 * the server has no certificate. Takes a reference on srv. */
oe_tls_conn_t *oe_tls_conn_new_server(oe_tls_server_t *srv);

/* A client-side connection. host (copied) is sent as SNI (unless it is an IP literal) and is the
 * name the server certificate must match; it may be NULL only with an insecure client. Takes a
 * reference on cli. NULL on failure. */
oe_tls_conn_t *oe_tls_conn_new_client(oe_tls_client_t *cli, const char *host);

/* Frees the connection (wiping its buffers) and drops its server/client reference. NULL is ok. */
void oe_tls_conn_free(oe_tls_conn_t *c);

/* Appends ciphertext received from the peer (copied). OE_OK, or OE_TLS_EINBUF when more than
 * OE_TLS_MAX_INBUF bytes would be waiting (stop reading the socket until oe_tls_read() drains
 * it), OE_ENOMEM. */
int oe_tls_feed(oe_tls_conn_t *c, const uint8_t *p, size_t n);

/* Bytes fed but not yet consumed by the engine. */
size_t oe_tls_pending_in(const oe_tls_conn_t *c);

/* Advances the handshake with the input fed so far. OE_OK once complete (and on every later
 * call), OE_TLS_WANT_IO when it needs more input, or an error: OE_TLS_EVERIFY, OE_TLS_EALERT,
 * OE_TLS_EPROTO, OE_ENOMEM. After an error, send pending output (an alert) and free the
 * connection; oe_tls_conn_strerror() says more. */
int oe_tls_handshake(oe_tls_conn_t *c);

/* True once the handshake has completed. */
bool oe_tls_handshake_done(const oe_tls_conn_t *c);

/* Decrypts up to cap plaintext bytes into buf. Returns the count (> 0), OE_TLS_WANT_IO when no
 * complete record is buffered, OE_TLS_ECLOSED once the peer sent close_notify, or an error as
 * for oe_tls_handshake(). Completes the handshake first if needed. */
ssize_t oe_tls_read(oe_tls_conn_t *c, uint8_t *buf, size_t cap);

/* Encrypts all n plaintext bytes (borrowed) into the output buffer. Returns n, OE_TLS_WANT_IO
 * while the handshake is not complete, or an error. The output buffer grows by about n + 22
 * bytes per 16 KiB record: apply back-pressure on oe_tls_pending_out().len. */
ssize_t oe_tls_write(oe_tls_conn_t *c, const uint8_t *p, size_t n);

/* Ciphertext waiting to be sent: a view valid until the next call on this connection. */
oe_slice_t oe_tls_pending_out(const oe_tls_conn_t *c);
/* Marks the first n bytes of the pending output as sent (n <= pending_out.len). */
void oe_tls_consume_out(oe_tls_conn_t *c, size_t n);
/* Takes all the pending output without copying it: the output queue's buffer is handed to the
 * caller and *buf (an empty buffer of *cap bytes that the caller owns, or NULL with *cap 0) becomes
 * the queue's. On return *buf and *cap describe the caller's new buffer, which holds the ciphertext
 * at the returned view; the caller owns it (free() it, or pass it back in a later call) and the
 * engine never writes to it again. Nothing pending: returns an empty view and swaps nothing. */
oe_slice_t oe_tls_take_out(oe_tls_conn_t *c, uint8_t **buf, size_t *cap);
/* Frees the output queue's buffer if nothing is pending and it is larger than keep bytes (0: an
 * idle connection holds none). */
void oe_tls_release_out(oe_tls_conn_t *c, size_t keep);
/* Gives the kernel back the memory pages of the record buffers whose bytes are not needed now
 * (an idle connection then holds only what its recent records touched). Cheap enough after a
 * burst of large records; too costly (a system call, then page faults) after every request. */
void oe_tls_trim(oe_tls_conn_t *c);

/* Queues a close_notify alert into the output. OE_OK or an error. */
int oe_tls_close_notify(oe_tls_conn_t *c);

/* After the handshake: the negotiated ALPN protocol (static/borrowed string, NULL when none), the
 * SNI the client sent (server side; borrowed NUL-terminated copy, NULL when none), the version
 * (OE_TLS_V12/OE_TLS_V13, 0 before the handshake), the cipher suite name. */
const char *oe_tls_alpn(const oe_tls_conn_t *c);
const char *oe_tls_sni(const oe_tls_conn_t *c);
int oe_tls_version(const oe_tls_conn_t *c);
const char *oe_tls_ciphersuite(const oe_tls_conn_t *c);

/* Server side: the certificate chosen for this connection (by SNI, else the default). Valid as
 * long as the connection. NULL on client connections. */
const oe_tls_cert_t *oe_tls_conn_cert(const oe_tls_conn_t *c);

/* True when the completed handshake resumed a session instead of a full handshake. Server side:
 * a session ticket was accepted; client side: the server sent no certificate. */
bool oe_tls_resumed(const oe_tls_conn_t *c);

/* Writes a description of the last error on this connection (mbedtls text, or the certificate
 * verification failure) into buf (NUL-terminated, truncated to cap). No client data included. */
void oe_tls_conn_strerror(const oe_tls_conn_t *c, char *buf, size_t cap);

/* Why the handshake failed, as one of a fixed set (for metrics; the text is for logs). */
typedef enum oe_tls_fail {
    OE_TLS_FAIL_PROTOCOL,    /* anything not below: a malformed or unexpected message */
    OE_TLS_FAIL_VERSION,     /* the peer offered no protocol version we accept */
    OE_TLS_FAIL_NO_CIPHER,   /* nothing in common: cipher suite, group or signature algorithm */
    OE_TLS_FAIL_CERTIFICATE, /* a certificate was missing, bad or failed verification */
    OE_TLS_FAIL_ALERT,       /* the peer sent a fatal alert */
} oe_tls_fail_t;
oe_tls_fail_t oe_tls_conn_fail_reason(const oe_tls_conn_t *c);

/* ---- client sessions (resumption) ---------------------------------------------------------- */

typedef struct oe_tls_session oe_tls_session_t;

/* Client side, after the handshake and after reading some data (TLS 1.3 tickets arrive after the
 * handshake): a copy of the session to resume later, or NULL when there is none (yet). The caller
 * frees it with oe_tls_session_free(). */
oe_tls_session_t *oe_tls_session_get(oe_tls_conn_t *c);
/* Offers the session (borrowed, copied) on a new client connection before its handshake. */
int oe_tls_conn_set_session(oe_tls_conn_t *c, const oe_tls_session_t *s);
void oe_tls_session_free(oe_tls_session_t *s);

/* ---- cert = auto ------------------------------------------------------------------------- */

/* Bits of oe_tls_auto_cert()'s non-negative return value. */
#define OE_TLS_AUTO_NEW_LEAF 1 /* the leaf certificate was (re)generated */
#define OE_TLS_AUTO_NEW_CA   2 /* the local CA was (re)generated (clients must trust it anew) */

/* Demo certificates in state_dir (created 0700 if missing): ca.pem + ca.key (a local CA, ECDSA
 * P-256, 10 years) and cert.pem + cert.key (a leaf, ECDSA P-256, 365 days, serverAuth, signed by
 * the CA), keys mode 0600, every file written to a temporary file, fsynced, renamed. The leaf's
 * subjectAltNames are the hostnames (IP literals become iPAddress entries; "*.x" wildcards are
 * allowed) plus 127.0.0.1 and ::1. Existing files are reused when they parse, match their keys,
 * chain to the CA, cover exactly these names and are valid for 30 more days; otherwise the leaf
 * is regenerated (and the CA only when it is itself missing, broken or expiring). Returns 0 when
 * everything was reused, else OE_TLS_AUTO_* bits, with *cert_path, *key_path and *ca_path set to
 * heap strings the caller frees (any of the three out pointers may be NULL). On failure returns a
 * negative code and sets *err (caller frees) when err is not NULL. */
int oe_tls_auto_cert(const char *state_dir, const char *const *hostnames, size_t n,
                     char **cert_path, char **key_path, char **ca_path, char **err);

/* The same with the leaf in LEAF.pem / LEAF.key (LEAF a plain file name), so that several leaves
 * (one per site) share one local CA. */
int oe_tls_auto_cert_leaf(const char *state_dir, const char *leaf_name,
                          const char *const *hostnames, size_t n, char **cert_path, char **key_path,
                          char **ca_path, char **err);

/* ---- ACME (modules/acme) ------------------------------------------------------------------ */

typedef enum oe_tls_key_type {
    OE_TLS_KEY_P256 = 0, /* ECDSA P-256 (the default) */
    OE_TLS_KEY_P384,
    OE_TLS_KEY_RSA2048,
    OE_TLS_KEY_RSA3072,
} oe_tls_key_type_t;

/* A fresh private key of type and a PKCS#10 request for names (dNSNames, borrowed; CN = the
 * first), signed with it (RFC 8555 §7.4). On success *key_pem is a heap PEM string (secret: the
 * caller wipes and frees it) and csr_der holds the DER request. OE_ECRYPTO with *err otherwise. */
int oe_tls_acme_csr(oe_tls_key_type_t type, const char *const *names, size_t n, char **key_pem,
                    oe_buf_t *csr_der, char **err);

/* TLS-ALPN-01 (RFC 8737). The ALPN protocol of validation handshakes. */
#define OE_TLS_ACME_ALPN       "acme-tls/1"
#define OE_TLS_ACME_DIGEST_LEN 32

/* Adds acme-tls/1 to the server's ALPN list (last, so a client offering h2 or http/1.1 never
 * gets it). Before connections start. A handshake that negotiates acme-tls/1 gets the validation
 * certificate of its SNI (oe_tls_server_acme_add), or fails when there is none: it never sees a
 * site's certificate, and a normal client never sees a validation one. */
int oe_tls_server_enable_acme(oe_tls_server_t *srv);

/* Serves a validation certificate for name: self-signed, subjectAltName name, and the critical
 * id-pe-acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding digest = SHA-256 of the key
 * authorization. Safe while handshakes run. OE_OK or OE_ECRYPTO with *err. */
int oe_tls_server_acme_add(oe_tls_server_t *srv, const char *name,
                           const uint8_t digest[OE_TLS_ACME_DIGEST_LEN], char **err);

/* Stops serving every validation certificate (their memory stays until the server is freed). */
void oe_tls_server_acme_clear(oe_tls_server_t *srv);

/* What modules/acme needs to know of an issued certificate (the first of a PEM chain). */
typedef struct oe_tls_cert_facts {
    int64_t not_before, not_after; /* Unix time */
    char issuer[256];              /* the issuer's distinguished name as text */
    uint8_t serial[32];            /* DER INTEGER contents */
    size_t serial_len;
    uint8_t aki[64]; /* authorityKeyIdentifier keyIdentifier (RFC 9773 §4.1) */
    size_t aki_len;
} oe_tls_cert_facts_t;

/* Parses the first certificate of pem[0..len) (borrowed). OE_OK or OE_EFORMAT. */
int oe_tls_cert_facts(const uint8_t *pem, size_t len, oe_tls_cert_facts_t *facts);

#endif
