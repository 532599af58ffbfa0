/*
 * TLS engine over mbedtls 3.6: memory-buffer connections, server contexts with SNI certificate
 * selection and rotating session tickets, client contexts with verification. See tls.h.
 */
#include "tls/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "crypto/crypto.h"
#include "crypto/encode.h"
#include "tls/tls_int.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define MAX_ALPN         8
#define MAX_PEM_FILE     (16u << 20) /* a CA bundle is ~200 KiB; anything near this is a mistake */
#define MIN_RSA_BITS     2048        /* what our client's X.509 profile and OpenSSL's level 2 ask */
#define SUPPORTED_KEYS   "RSA of 2048 bits or more, ECDSA P-256 or P-384"

/* AEAD suites only, strongest-first within each version. mbedtls keeps the pointer. */
static const int ciphersuites[] = {
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

/* ---- process-wide state: PSA; randomness is the crypto module's ---------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = OE_ECRYPTO;

static void global_init_once(void)
{
    unsigned char probe;
    if (psa_crypto_init() != PSA_SUCCESS)
        return;
    /* The random generator seeds itself per thread at first use; fail here, at configuration
     * time, rather than in a handshake when the system has no entropy to give. */
    if (oe_crypto_random(NULL, &probe, 1) != 0)
        return;
    global_rc = OE_OK;
}

int oe_tls_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc;
}

bool oe_tls_threadsafe(void)
{
#if defined(MBEDTLS_THREADING_C)
    return true;
#else
    return false;
#endif
}

char *oe_tls__mbed_msg(const char *what, int mbed_err)
{
    char buf[160];
    mbedtls_strerror(mbed_err, buf, sizeof(buf));
    return oe_asprintf("%s: %s (-0x%04x)", what, buf, (unsigned)-mbed_err);
}

static void set_err(char **err, char *msg)
{
    if (err != NULL)
        *err = msg;
    else
        free(msg);
}

int oe_tls__check_key_mode(const char *path, char **err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        set_err(err, oe_asprintf("%s: cannot read the private key file: %s", path, strerror(e)));
        return -e;
    }
    if ((st.st_mode & 077) != 0) {
        set_err(err, oe_asprintf("%s: private key is readable by group or others (mode %04o); "
                                 "run chmod 600 %s",
                                 path, (unsigned)(st.st_mode & 07777), path));
        return OE_TLS_EKEYPERM;
    }
    return OE_OK;
}

const char *oe_tls_strerror(int err)
{
    switch (err) {
    case OE_TLS_WANT_IO:
        return "TLS engine needs more input";
    case OE_TLS_ECLOSED:
        return "TLS peer closed the connection";
    case OE_TLS_EVERIFY:
        return "TLS peer certificate verification failed";
    case OE_TLS_EPROTO:
        return "TLS protocol error";
    case OE_TLS_EALERT:
        return "TLS peer sent a fatal alert";
    case OE_TLS_EINBUF:
        return "TLS input buffer full";
    case OE_TLS_EKEYPERM:
        return "private key file is readable by group or others";
    case OE_TLS_ENOCERT:
        return "TLS server has no certificate";
    default:
        return oe_strerror(err);
    }
}

/* ---- shared helpers -------------------------------------------------------------------- */

/* Copies a NULL-terminated ALPN list into one allocation: pointer array + strings. */
static const char **copy_alpn(const char *const *alpn, char **err)
{
    size_t n = 0, bytes = 0;
    for (; alpn[n] != NULL; n++) {
        size_t len = strlen(alpn[n]);
        if (len == 0 || len > 255 || n >= MAX_ALPN) {
            set_err(err, oe_asprintf("ALPN list: protocol %zu is empty, longer than 255 bytes or "
                                     "beyond the %d allowed",
                                     n + 1, MAX_ALPN));
            return NULL;
        }
        bytes += len + 1;
    }
    const char **out = oe_malloc((n + 1) * sizeof(char *) + bytes);
    char *s = (char *)(out + n + 1);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(alpn[i]) + 1;
        memcpy(s, alpn[i], len);
        out[i] = s;
        s += len;
    }
    out[n] = NULL;
    return out;
}

static int version_of(int v, int dflt)
{
    return v == 0 ? dflt : v;
}

static int conf_versions(mbedtls_ssl_config *conf, int min, int max, char **err)
{
    min = version_of(min, OE_TLS_V12);
    max = version_of(max, OE_TLS_V13);
    if ((min != OE_TLS_V12 && min != OE_TLS_V13) || (max != OE_TLS_V12 && max != OE_TLS_V13) ||
        min > max) {
        set_err(err, oe_asprintf("TLS versions: only 1.2 and 1.3 are supported (min <= max)"));
        return OE_ECONFIG;
    }
    mbedtls_ssl_conf_min_tls_version(conf, (mbedtls_ssl_protocol_version)min);
    mbedtls_ssl_conf_max_tls_version(conf, (mbedtls_ssl_protocol_version)max);
    return OE_OK;
}

/* ---- reading certificate and key files ------------------------------------------------ */

/* Reads a whole regular file into *out (heap, NUL-terminated; the caller wipes and frees it) and
 * its length without the NUL into *len. mbedtls's own file loaders only say "PK - Read/write of
 * file failed"; this says which file and the OS error: "PATH: cannot read the WHAT file: No such
 * file or directory". Returns OE_OK or -errno. */
static int read_file(const char *path, const char *what, char **out, size_t *len, char **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int e = 0;
    if (fd < 0 || fstat(fd, &st) != 0) {
        e = errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto fail;
    }
    if ((uint64_t)st.st_size > MAX_PEM_FILE) {
        e = EFBIG;
        goto fail;
    }
    cap = (size_t)st.st_size;
    buf = oe_malloc(cap + 1);
    while (n < cap) { /* a file that shrank meanwhile ends early: use what is there */
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return OE_OK;
fail:
    if (fd >= 0)
        close(fd);
    if (buf != NULL) {
        oe_wipe(buf, cap + 1);
        free(buf);
    }
    set_err(err, oe_asprintf("%s: cannot read the %s file: %s", path, what,
                             e == EINVAL ? "not a regular file" : strerror(e)));
    return -e;
}

static void free_file(char *buf, size_t len)
{
    oe_wipe(buf, len + 1);
    free(buf);
}

/* mbedtls's codes for "this key type or curve is not compiled in" (a high-level code may carry
 * a low-level one in its last 7 bits). */
static bool unsupported_key(int mbed_err)
{
    int hi = -(-mbed_err & 0xff80);
    return hi == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || hi == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE ||
           hi == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE || hi == MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
}

/* Parses each PEM certificate of the file (or the one DER certificate) into chain, in file order,
 * and names the one that fails: "PATH: certificate 2: X509 - ... (-0x2300)". */
static int load_chain(mbedtls_x509_crt *chain, const char *path, char **err)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, "certificate", &buf, &len, err);
    if (rc != OE_OK)
        return rc;
    size_t count = 0;
    int mrc = 0;
    if (len > 0 && strstr(buf, "-----BEGIN") == NULL) {
        count = 1;
        mrc = mbedtls_x509_crt_parse_der(chain, (const unsigned char *)buf, len);
        if (mrc != 0 && !unsupported_key(mrc)) {
            set_err(err, oe_asprintf("%s: not a PEM certificate (no \"%s\" line) nor a DER one",
                                     path, begin));
            rc = OE_EFORMAT;
            goto out;
        }
    }
    for (char *p = buf; mrc == 0 && (p = strstr(p, begin)) != NULL;) {
        char *e = strstr(p, end);
        count++;
        if (e == NULL) {
            set_err(err, oe_asprintf("%s: certificate %zu has no \"%s\" line", path, count, end));
            rc = OE_EFORMAT;
            goto out;
        }
        e += sizeof(end) - 1;
        /* mbedtls parses PEM only from a NUL-terminated buffer: cut this block out in place. */
        char saved = *e;
        *e = '\0';
        mrc = mbedtls_x509_crt_parse(chain, (const unsigned char *)p, (size_t)(e - p) + 1);
        *e = saved;
        p = e;
    }
    if (mrc != 0) {
        char *what = oe_asprintf("%s: certificate %zu", path, count);
        char *msg = oe_tls__mbed_msg(what, mrc);
        if (unsupported_key(mrc))
            set_err(err, oe_asprintf("%s; supported keys: %s", msg, SUPPORTED_KEYS));
        else
            set_err(err, oe_strdup(msg));
        free(msg);
        free(what);
        rc = OE_EFORMAT;
    } else if (count == 0) {
        if (strstr(buf, "PRIVATE KEY-----") != NULL)
            set_err(err, oe_asprintf("%s: holds a private key, not a certificate (cert and key "
                                     "swapped?)",
                                     path));
        else
            set_err(err, oe_asprintf("%s: no certificate in the file (expected PEM \"%s\")", path,
                                     begin));
        rc = OE_EFORMAT;
    }
out:
    free_file(buf, len);
    return rc;
}

/* Loads an unencrypted PEM or DER private key (PKCS#1, SEC1 or PKCS#8) of a supported type and
 * size, from a file that only its owner may read (oe_tls__check_key_mode). The file's content is
 * judged first, so that a certificate given as the key is named as such. */
static int load_key(mbedtls_pk_context *key, const char *path, char **err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, "private key", &buf, &len, err);
    if (rc != OE_OK)
        return rc;
    bool pem = strstr(buf, "-----BEGIN") != NULL;
    /* PEM is parsed only when the NUL is counted; DER must end exactly at its last byte. */
    int mrc = mbedtls_pk_parse_key(key, (const unsigned char *)buf, pem ? len + 1 : len, NULL, 0,
                                   oe_crypto_random, NULL);
    rc = OE_EFORMAT;
    if (mrc != 0 && (mrc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ||
                     strstr(buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                     strstr(buf, "Proc-Type: 4,ENCRYPTED") != NULL)) {
        set_err(err, oe_asprintf("%s: the private key is encrypted; odoh-edge needs it "
                                 "unencrypted (mode 0600), e.g. openssl pkey -in %s -out NEW",
                                 path, path));
    } else if (mrc != 0 && unsupported_key(mrc)) {
        char *what =
            oe_asprintf("%s: unsupported private key type (supported: %s)", path, SUPPORTED_KEYS);
        set_err(err, oe_tls__mbed_msg(what, mrc));
        free(what);
    } else if (mrc != 0 && strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL &&
               strstr(buf, "PRIVATE KEY-----") == NULL) {
        set_err(err, oe_asprintf("%s: holds a certificate, not a private key (cert and key "
                                 "swapped?)",
                                 path));
    } else if (mrc != 0) {
        char *what = oe_asprintf("%s: not a PEM or DER private key", path);
        set_err(err, oe_tls__mbed_msg(what, mrc));
        free(what);
    } else if ((rc = oe_tls__check_key_mode(path, err)) != OE_OK) {
        /* *err set */
    } else if (mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA &&
               mbedtls_pk_get_bitlen(key) < MIN_RSA_BITS) {
        set_err(err, oe_asprintf("%s: RSA key of %zu bits is too small (clients refuse it; use "
                                 "%d bits or more)",
                                 path, mbedtls_pk_get_bitlen(key), MIN_RSA_BITS));
        rc = OE_ECONFIG;
    } else {
        rc = OE_OK;
    }
    free_file(buf, len);
    return rc;
}

/* ---- certificates ------------------------------------------------------------------------ */

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

static void cert_free(oe_tls_cert_t *cert)
{
    if (cert == NULL)
        return;
    mbedtls_x509_crt_free(&cert->chain);
    mbedtls_pk_free(&cert->key);
    for (cert_material_t *m = atomic_load(&cert->current), *older; m != NULL; m = older) {
        older = m->older;
        mbedtls_x509_crt_free(&m->chain);
        mbedtls_pk_free(&m->key);
        free(m);
    }
    for (size_t i = 0; i < cert->nnames; i++)
        free(cert->names[i]);
    free(cert->names);
    free(cert);
}

static void add_name(oe_tls_cert_t *cert, char *name)
{
    cert->names = oe_realloc(cert->names, (cert->nnames + 1) * sizeof(char *));
    cert->names[cert->nnames++] = name;
}

void oe_tls__san_names(const mbedtls_x509_crt *crt,
                       void (*add)(void *arg, const char *name, size_t len), void *arg)
{
    for (int pass = 0; pass < 2; pass++) {
        for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL; s = s->next) {
            mbedtls_x509_subject_alternative_name san;
            if (s->buf.p == NULL || mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
                continue;
            const mbedtls_x509_buf *v = &san.san.unstructured_name;
            if (pass == 0 && san.type == MBEDTLS_X509_SAN_DNS_NAME && v->len > 0 &&
                memchr(v->p, 0, v->len) == NULL) {
                add(arg, (const char *)v->p, v->len);
            } else if (pass == 1 && san.type == MBEDTLS_X509_SAN_IP_ADDRESS &&
                       (v->len == 4 || v->len == 16)) {
                char text[INET6_ADDRSTRLEN];
                if (inet_ntop(v->len == 4 ? AF_INET : AF_INET6, v->p, text, sizeof(text)))
                    add(arg, text, strlen(text));
            }
            mbedtls_x509_free_subject_alt_name(&san);
        }
    }
}

static void collect_name(void *arg, const char *name, size_t len)
{
    add_name(arg, oe_strndup(name, len));
}

/* Collects the leaf's SAN dNSNames, then iPAddresses, as text. */
static void collect_names(oe_tls_cert_t *cert)
{
    oe_tls__san_names(&cert->chain, collect_name, cert);
}

const char *oe_tls_cert_name(const oe_tls_cert_t *cert, size_t i)
{
    return cert != NULL && i < cert->nnames ? cert->names[i] : NULL;
}

size_t oe_tls_cert_name_count(const oe_tls_cert_t *cert)
{
    return cert != NULL ? cert->nnames : 0;
}

size_t oe_tls_cert_index(const oe_tls_cert_t *cert)
{
    return cert->index;
}

void oe_tls_cert_set_data(oe_tls_cert_t *cert, void *data)
{
    cert->data = data;
}

void *oe_tls_cert_data(const oe_tls_cert_t *cert)
{
    return cert->data;
}

/* Does one SAN name cover host? Wildcards match exactly one non-empty left-most label. */
static bool name_covers(const char *name, oe_slice_t host)
{
    size_t nlen = strlen(name);
    if (nlen > 2 && name[0] == '*' && name[1] == '.') {
        const uint8_t *dot = memchr(host.base, '.', host.len);
        if (dot == NULL || dot == host.base)
            return false;
        oe_slice_t rest = OE_SLICE(dot + 1, host.len - (size_t)(dot + 1 - host.base));
        return oe_slice_eq_nocase(rest, OE_SLICE(name + 2, nlen - 2));
    }
    return oe_slice_eq_nocase(host, OE_SLICE(name, nlen));
}

bool oe_tls_cert_covers(const oe_tls_cert_t *cert, oe_slice_t host)
{
    if (cert == NULL || host.len == 0)
        return false;
    if (host.base[host.len - 1] == '.')
        host.len--;
    if (host.len == 0)
        return false;
    for (size_t i = 0; i < cert->nnames; i++)
        if (name_covers(cert->names[i], host))
            return true;
    return false;
}

/* ---- server ------------------------------------------------------------------------------ */

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

/* The connection whose handshake runs on this thread, for the ticket callbacks, which mbedtls
 * gives no connection pointer. */
static _Thread_local oe_tls_conn_t *current_conn;

/* Tickets are bound to the server name they were issued under (RFC 6066 §3: a server must not
 * resume a session under a different name, even one the same certificate covers): each ticket is
 * mbedtls' sealed ticket followed by TICKET_TAG_LEN bytes of HMAC-SHA-256 over it and the
 * lower-cased SNI, under a key of this server's. A ticket whose tag does not match the name of
 * the handshake parsing it is not resumed (the handshake goes on as a full one). */
#define TICKET_TAG_LEN 16

static int ticket_tag(const oe_tls_server_t *srv, const unsigned char *name, size_t nlen,
                      const unsigned char *ticket, size_t len, uint8_t tag[TICKET_TAG_LEN])
{
    unsigned char lower[256];
    if (name == NULL || nlen > sizeof(lower))
        nlen = 0;
    for (size_t i = 0; i < nlen; i++)
        lower[i] = (unsigned char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    if (nlen > 0 && lower[nlen - 1] == '.')
        nlen--;
    oe_crypto_hmac_t h;
    uint8_t full[OE_CRYPTO_SHA256_LEN], sep = 0, nl = (uint8_t)nlen;
    oe_crypto_hmac_init(&h, srv->ticket_bind_key, sizeof(srv->ticket_bind_key));
    oe_crypto_hmac_update(&h, ticket, len);
    /* a separator and the name's length keep (ticket, name) pairs unambiguous */
    oe_crypto_hmac_update(&h, &sep, 1);
    oe_crypto_hmac_update(&h, &nl, 1);
    oe_crypto_hmac_update(&h, lower, nlen);
    oe_crypto_hmac_final(&h, full);
    memcpy(tag, full, TICKET_TAG_LEN);
    oe_wipe(full, sizeof(full));
    return 0;
}

static int ticket_write(void *p, const mbedtls_ssl_session *session, unsigned char *start,
                        const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
    oe_tls_server_t *srv = p;
    if (current_conn == NULL || end - start < TICKET_TAG_LEN)
        return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    pthread_mutex_lock(&srv->ticket_lock);
    int rc = mbedtls_ssl_ticket_write(&srv->ticket, session, start, end - TICKET_TAG_LEN, tlen,
                                      lifetime);
    pthread_mutex_unlock(&srv->ticket_lock);
    if (rc == 0) {
        /* The name the handshake chose its certificate by (cert_cb); the handshake's own copy
         * may be gone when a TLS 1.3 ticket is written. */
        const char *sni = current_conn->sni;
        rc = ticket_tag(srv, (const unsigned char *)sni, sni ? strlen(sni) : 0, start, *tlen,
                        start + *tlen);
        *tlen += TICKET_TAG_LEN;
    }
    return rc;
}

static int ticket_parse(void *p, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
    oe_tls_server_t *srv = p;
    uint8_t tag[TICKET_TAG_LEN];
    if (current_conn == NULL || len <= TICKET_TAG_LEN)
        return MBEDTLS_ERR_SSL_INVALID_MAC;
    len -= TICKET_TAG_LEN;
    size_t nlen = 0; /* the ClientHello's name: parsed before the tickets it carries */
    const unsigned char *name = mbedtls_ssl_get_hs_sni(&current_conn->ssl, &nlen);
    int rc = ticket_tag(srv, name, nlen, buf, len, tag);
    if (rc != 0)
        return rc;
    if (!oe_ct_eq(tag, buf + len, TICKET_TAG_LEN))
        return MBEDTLS_ERR_SSL_INVALID_MAC;
    pthread_mutex_lock(&srv->ticket_lock);
    rc = mbedtls_ssl_ticket_parse(&srv->ticket, session, buf, len);
    pthread_mutex_unlock(&srv->ticket_lock);
    if (rc == 0)
        current_conn->ticket_accepted = true;
    return rc;
}

static const oe_tls_cert_t *pick_cert(const oe_tls_server_t *srv, oe_slice_t sni)
{
    if (srv->ncerts == 0)
        return NULL;
    if (sni.len > 0 && sni.base[sni.len - 1] == '.')
        sni.len--;
    if (sni.len > 0) {
        /* Exact names win over wildcards, whatever the certificate order. */
        for (size_t i = 0; i < srv->ncerts; i++)
            for (size_t j = 0; j < srv->certs[i]->nnames; j++)
                if (srv->certs[i]->names[j][0] != '*' &&
                    oe_slice_eq_nocase(sni, OE_SLICE_STR(srv->certs[i]->names[j])))
                    return srv->certs[i];
        for (size_t i = 0; i < srv->ncerts; i++)
            for (size_t j = 0; j < srv->certs[i]->nnames; j++)
                if (srv->certs[i]->names[j][0] == '*' && name_covers(srv->certs[i]->names[j], sni))
                    return srv->certs[i];
    }
    return srv->certs[0];
}

const oe_tls_cert_t *oe_tls_server_pick_cert(const oe_tls_server_t *srv, oe_slice_t sni)
{
    return pick_cert(srv, sni);
}

/* RFC 8737 §3: a ClientHello that negotiated acme-tls/1 gets the validation certificate of its
 * server name, or no handshake at all. */
static int acme_cert_cb(oe_tls_conn_t *c, mbedtls_ssl_context *ssl)
{
    oe_tls_server_t *srv = c->srv;
    int rc = MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE;
    pthread_mutex_lock(&srv->acme_lock);
    for (acme_cert_t *a = srv->acme; c->sni != NULL && a != NULL; a = a->next)
        if (a->active && oe_slice_eq_nocase(OE_SLICE_STR(a->name), OE_SLICE_STR(c->sni))) {
            rc = mbedtls_ssl_set_hs_own_cert(ssl, &a->chain, &a->key);
            break;
        }
    pthread_mutex_unlock(&srv->acme_lock);
    return rc;
}

/* Certificate selection, after mbedtls has processed the ClientHello (TLS 1.2 and 1.3). */
static int cert_cb(mbedtls_ssl_context *ssl)
{
    oe_tls_conn_t *c = mbedtls_ssl_get_user_data_p(ssl);
    size_t len = 0;
    const unsigned char *name = mbedtls_ssl_get_hs_sni(ssl, &len);
    free(c->sni);
    c->sni = NULL;
    if (name != NULL && len > 0 && len <= 255 && memchr(name, 0, len) == NULL) {
        c->sni = malloc(len + 1);
        if (c->sni == NULL)
            return MBEDTLS_ERR_SSL_ALLOC_FAILED;
        memcpy(c->sni, name, len);
        c->sni[len] = '\0';
    }
    const oe_tls_cert_t *cert =
        pick_cert(c->srv, c->sni ? OE_SLICE_STR(c->sni) : OE_SLICE(NULL, 0));
    c->cert = cert;
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    if (alpn != NULL && strcmp(alpn, OE_TLS_ACME_ALPN) == 0)
        return acme_cert_cb(c, ssl);
    cert_material_t *m =
        atomic_load_explicit(&((oe_tls_cert_t *)cert)->current, memory_order_acquire);
    if (m != NULL)
        return mbedtls_ssl_set_hs_own_cert(ssl, &m->chain, &m->key);
    return mbedtls_ssl_set_hs_own_cert(ssl, (mbedtls_x509_crt *)&cert->chain,
                                       (mbedtls_pk_context *)&cert->key);
}

oe_tls_server_t *oe_tls_server_new(const oe_tls_server_opts_t *opts, char **err)
{
    static const char *const default_alpn[] = {"h2", "http/1.1", NULL};
    static const oe_tls_server_opts_t defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    if (oe_tls_global_init() != OE_OK) {
        set_err(err, oe_asprintf("TLS: PSA crypto or random generator initialisation failed"));
        return NULL;
    }
    oe_tls_server_t *srv = oe_calloc(1, sizeof(*srv));
    atomic_init(&srv->refs, 1);
    mbedtls_ssl_config_init(&srv->conf);
    mbedtls_ssl_ticket_init(&srv->ticket);
    pthread_mutex_init(&srv->ticket_lock, NULL);
    pthread_mutex_init(&srv->acme_lock, NULL);

    srv->alpn = copy_alpn(opts->alpn ? opts->alpn : default_alpn, err);
    if (srv->alpn == NULL)
        goto fail;
    int rc = mbedtls_ssl_config_defaults(&srv->conf, MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) {
        set_err(err, oe_tls__mbed_msg("TLS server defaults", rc));
        goto fail;
    }
    if (conf_versions(&srv->conf, opts->min_version, opts->max_version, err) != OE_OK)
        goto fail;
    mbedtls_ssl_conf_rng(&srv->conf, oe_crypto_random, NULL);
    mbedtls_ssl_conf_ciphersuites(&srv->conf, ciphersuites);
    rc = mbedtls_ssl_conf_alpn_protocols(&srv->conf, srv->alpn);
    if (rc != 0) {
        set_err(err, oe_tls__mbed_msg("TLS ALPN", rc));
        goto fail;
    }
    mbedtls_ssl_conf_cert_cb(&srv->conf, cert_cb);
    mbedtls_ssl_conf_authmode(&srv->conf, MBEDTLS_SSL_VERIFY_NONE);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(&srv->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    if (!opts->no_tickets) {
        uint32_t life = opts->ticket_lifetime ? opts->ticket_lifetime : 86400;
        rc = mbedtls_ssl_ticket_setup(&srv->ticket, oe_crypto_random, NULL,
                                      MBEDTLS_CIPHER_AES_256_GCM, life);
        if (rc != 0) {
            set_err(err, oe_tls__mbed_msg("TLS session tickets", rc));
            goto fail;
        }
        if (oe_crypto_random(NULL, srv->ticket_bind_key, sizeof(srv->ticket_bind_key)) != 0) {
            set_err(err, oe_asprintf("TLS session tickets: no random bytes for the key"));
            goto fail;
        }
        mbedtls_ssl_conf_session_tickets_cb(&srv->conf, ticket_write, ticket_parse, srv);
        srv->tickets = true;
    }
    return srv;
fail:
    mbedtls_ssl_ticket_free(&srv->ticket);
    mbedtls_ssl_config_free(&srv->conf);
    pthread_mutex_destroy(&srv->ticket_lock);
    pthread_mutex_destroy(&srv->acme_lock);
    free(srv->alpn);
    free(srv);
    return NULL;
}

int oe_tls_cert_replace(oe_tls_cert_t *cert, const char *cert_pem_path, const char *key_pem_path,
                        char **err)
{
    cert_material_t *m = oe_calloc(1, sizeof(*m));
    mbedtls_x509_crt_init(&m->chain);
    mbedtls_pk_init(&m->key);
    int rc = load_chain(&m->chain, cert_pem_path, err);
    if (rc == OE_OK)
        rc = load_key(&m->key, key_pem_path, err);
    if (rc == OE_OK && mbedtls_pk_check_pair(&m->chain.pk, &m->key, oe_crypto_random, NULL) != 0) {
        set_err(err, oe_asprintf("%s: private key does not match the certificate %s", key_pem_path,
                                 cert_pem_path));
        rc = OE_ECONFIG;
    }
    /* The names were chosen by, and the ORIGIN set computed for, the certificate replaced: the
     * new one must cover every one of its DNS names. (Its IP addresses are not asked for: a
     * temporary cert = auto leaf covers 127.0.0.1 and ::1, which no public CA issues.) */
    if (rc == OE_OK) {
        oe_tls_cert_t probe = {0}; /* only its names */
        oe_tls__san_names(&m->chain, collect_name, &probe);
        for (size_t i = 0; i < cert->nnames && rc == OE_OK; i++) {
            uint8_t ip[16];
            if (inet_pton(AF_INET, cert->names[i], ip) == 1 ||
                inet_pton(AF_INET6, cert->names[i], ip) == 1)
                continue;
            if (!oe_tls_cert_covers(&probe, OE_SLICE_STR(cert->names[i]))) {
                set_err(err, oe_asprintf("%s: does not cover %s, which the certificate it "
                                         "replaces covers",
                                         cert_pem_path, cert->names[i]));
                rc = OE_ECONFIG;
            }
        }
        for (size_t i = 0; i < probe.nnames; i++)
            free(probe.names[i]);
        free(probe.names);
    }
    if (rc != OE_OK) {
        mbedtls_x509_crt_free(&m->chain);
        mbedtls_pk_free(&m->key);
        free(m);
        return rc;
    }
    m->older = atomic_load(&cert->current);
    atomic_store_explicit(&cert->current, m, memory_order_release);
    return OE_OK;
}

int oe_tls_server_enable_acme(oe_tls_server_t *srv)
{
    size_t n = 0;
    while (srv->alpn[n] != NULL)
        n++;
    const char **list = oe_calloc(n + 2, sizeof(*list));
    for (size_t i = 0; i < n; i++)
        list[i] = srv->alpn[i];
    list[n] = OE_TLS_ACME_ALPN; /* last: never chosen over what a normal client offers */
    const char **copy = copy_alpn(list, NULL);
    free(list);
    if (copy == NULL || mbedtls_ssl_conf_alpn_protocols(&srv->conf, copy) != 0) {
        free(copy);
        return OE_EINVAL;
    }
    free(srv->alpn);
    srv->alpn = copy;
    return OE_OK;
}

int oe_tls_server_acme_add(oe_tls_server_t *srv, const char *name,
                           const uint8_t digest[OE_TLS_ACME_DIGEST_LEN], char **err)
{
    acme_cert_t *a = oe_calloc(1, sizeof(*a));
    mbedtls_x509_crt_init(&a->chain);
    mbedtls_pk_init(&a->key);
    int rc = oe_tls__acme_validation_cert(name, digest, &a->chain, &a->key, err);
    if (rc != OE_OK) {
        mbedtls_x509_crt_free(&a->chain);
        mbedtls_pk_free(&a->key);
        free(a);
        return rc;
    }
    a->name = oe_strdup(name);
    a->active = true;
    pthread_mutex_lock(&srv->acme_lock);
    a->next = srv->acme;
    srv->acme = a;
    pthread_mutex_unlock(&srv->acme_lock);
    return OE_OK;
}

void oe_tls_server_acme_clear(oe_tls_server_t *srv)
{
    pthread_mutex_lock(&srv->acme_lock);
    for (acme_cert_t *a = srv->acme; a != NULL; a = a->next)
        a->active = false;
    pthread_mutex_unlock(&srv->acme_lock);
}

int oe_tls_server_add_cert(oe_tls_server_t *srv, const char *cert_pem_path,
                           const char *key_pem_path, oe_tls_cert_t **out, char **err)
{
    oe_tls_cert_t *cert = oe_calloc(1, sizeof(*cert));
    mbedtls_x509_crt_init(&cert->chain);
    mbedtls_pk_init(&cert->key);

    int rc = load_chain(&cert->chain, cert_pem_path, err);
    if (rc != OE_OK)
        goto fail;
    rc = load_key(&cert->key, key_pem_path, err);
    if (rc != OE_OK)
        goto fail;
    if (mbedtls_pk_check_pair(&cert->chain.pk, &cert->key, oe_crypto_random, NULL) != 0) {
        set_err(err, oe_asprintf("%s: private key does not match the certificate %s", key_pem_path,
                                 cert_pem_path));
        rc = OE_ECONFIG;
        goto fail;
    }
    collect_names(cert);
    if (cert->nnames == 0) {
        set_err(err, oe_asprintf("%s: certificate has no subjectAltName DNS or IP names",
                                 cert_pem_path));
        rc = OE_EFORMAT;
        goto fail;
    }
    if (srv->ncerts == 0) {
        int mrc = mbedtls_ssl_conf_own_cert(&srv->conf, &cert->chain, &cert->key);
        if (mrc != 0) {
            set_err(err, oe_tls__mbed_msg("TLS default certificate", mrc));
            rc = OE_ECRYPTO;
            goto fail;
        }
    }
    cert->index = srv->ncerts;
    srv->certs = oe_realloc(srv->certs, (srv->ncerts + 1) * sizeof(*srv->certs));
    srv->certs[srv->ncerts++] = cert;
    if (out != NULL)
        *out = cert;
    return OE_OK;
fail:
    cert_free(cert);
    return rc;
}

size_t oe_tls_server_cert_count(const oe_tls_server_t *srv)
{
    return srv->ncerts;
}

oe_tls_cert_t *oe_tls_server_cert(const oe_tls_server_t *srv, size_t i)
{
    return i < srv->ncerts ? srv->certs[i] : NULL;
}

static void server_unref(oe_tls_server_t *srv)
{
    if (srv == NULL || atomic_fetch_sub(&srv->refs, 1) != 1)
        return;
    mbedtls_ssl_config_free(&srv->conf);
    mbedtls_ssl_ticket_free(&srv->ticket); /* wipes the ticket keys */
    oe_wipe(srv->ticket_bind_key, sizeof(srv->ticket_bind_key));
    pthread_mutex_destroy(&srv->ticket_lock);
    for (acme_cert_t *a = srv->acme, *next; a != NULL; a = next) {
        next = a->next;
        mbedtls_x509_crt_free(&a->chain);
        mbedtls_pk_free(&a->key);
        free(a->name);
        free(a);
    }
    pthread_mutex_destroy(&srv->acme_lock);
    for (size_t i = 0; i < srv->ncerts; i++)
        cert_free(srv->certs[i]); /* mbedtls_pk_free wipes the private keys */
    free(srv->certs);
    free(srv->alpn);
    free(srv);
}

void oe_tls_server_free(oe_tls_server_t *srv)
{
    server_unref(srv);
}

/* ---- client ------------------------------------------------------------------------------ */

oe_tls_client_t *oe_tls_client_new(const oe_tls_client_opts_t *opts, char **err)
{
    static const oe_tls_client_opts_t defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    if (oe_tls_global_init() != OE_OK) {
        set_err(err, oe_asprintf("TLS: PSA crypto or random generator initialisation failed"));
        return NULL;
    }
    oe_tls_client_t *cli = oe_calloc(1, sizeof(*cli));
    atomic_init(&cli->refs, 1);
    mbedtls_ssl_config_init(&cli->conf);
    mbedtls_x509_crt_init(&cli->ca);
    cli->insecure = opts->insecure;

    int rc = mbedtls_ssl_config_defaults(&cli->conf, MBEDTLS_SSL_IS_CLIENT,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) {
        set_err(err, oe_tls__mbed_msg("TLS client defaults", rc));
        goto fail;
    }
    if (conf_versions(&cli->conf, opts->min_version, opts->max_version, err) != OE_OK)
        goto fail;
    mbedtls_ssl_conf_rng(&cli->conf, oe_crypto_random, NULL);
    mbedtls_ssl_conf_ciphersuites(&cli->conf, ciphersuites);
    if (opts->alpn != NULL) {
        cli->alpn = copy_alpn(opts->alpn, err);
        if (cli->alpn == NULL)
            goto fail;
        rc = mbedtls_ssl_conf_alpn_protocols(&cli->conf, cli->alpn);
        if (rc != 0) {
            set_err(err, oe_tls__mbed_msg("TLS ALPN", rc));
            goto fail;
        }
    }
    if (!opts->insecure) {
        const char *ca = opts->ca_file ? opts->ca_file : SYSTEM_CA_BUNDLE;
        char *buf = NULL;
        size_t len = 0;
        if (read_file(ca, "CA", &buf, &len, err) != OE_OK)
            goto fail;
        /* PEM is parsed only when the NUL is counted; a DER file is passed as it is. */
        bool pem = strstr(buf, "-----BEGIN") != NULL;
        rc = mbedtls_x509_crt_parse(&cli->ca, (const unsigned char *)buf, pem ? len + 1 : len);
        free_file(buf, len);
        /* A bundle may hold a few certificates mbedtls cannot parse (rc > 0): use the rest. */
        if (rc < 0 || cli->ca.raw.p == NULL) {
            char *what = oe_asprintf("%s: no usable CA certificate", ca);
            set_err(err, oe_tls__mbed_msg(what, rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT));
            free(what);
            goto fail;
        }
        mbedtls_ssl_conf_ca_chain(&cli->conf, &cli->ca, NULL);
        mbedtls_ssl_conf_authmode(&cli->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        /* OPTIONAL, not NONE: the certificate is still parsed (so resumption stays observable),
         * but the verification result is ignored. */
        mbedtls_ssl_conf_authmode(&cli->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
    }
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    mbedtls_ssl_conf_session_tickets(&cli->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &cli->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
#endif
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(&cli->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    return cli;
fail:
    mbedtls_ssl_config_free(&cli->conf);
    mbedtls_x509_crt_free(&cli->ca);
    free(cli->alpn);
    free(cli);
    return NULL;
}

static void client_unref(oe_tls_client_t *cli)
{
    if (cli == NULL || atomic_fetch_sub(&cli->refs, 1) != 1)
        return;
    mbedtls_ssl_config_free(&cli->conf);
    mbedtls_x509_crt_free(&cli->ca);
    free(cli->alpn);
    free(cli);
}

void oe_tls_client_free(oe_tls_client_t *cli)
{
    client_unref(cli);
}

/* ---- byte queues ---------------------------------------------------------------------------- */

static int ioq_append(ioq_t *q, const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    if (q->start > 0 && q->end + n > q->cap) {
        memmove(q->base, q->base + q->start, q->end - q->start);
        q->end -= q->start;
        q->start = 0;
    }
    if (q->end + n > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->end + n)
            cap *= 2;
        uint8_t *nb = realloc(q->base, cap);
        if (nb == NULL)
            return -1;
        q->base = nb;
        q->cap = cap;
    }
    memcpy(q->base + q->end, p, n);
    q->end += n;
    return 0;
}

static void ioq_free(ioq_t *q)
{
    free(q->base);
    memset(q, 0, sizeof(*q));
}

/* An emptied queue that grew past 16 KiB (a large response) gives its memory back, so that an
 * idle keep-alive connection does not keep the high-water mark of its busiest moment. */
static void ioq_consume(ioq_t *q, size_t n)
{
    q->start += n;
    if (q->start == q->end) {
        q->start = q->end = 0;
        if (q->cap > 16384)
            ioq_free(q);
    }
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    oe_tls_conn_t *c = ctx;
    if (ioq_append(&c->out, buf, len) != 0) {
        c->oom = true;
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    }
    return (int)OE_MIN(len, (size_t)INT32_MAX);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    oe_tls_conn_t *c = ctx;
    size_t avail = c->in.end - c->in.start;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = OE_MIN(avail, len);
    n = OE_MIN(n, (size_t)INT32_MAX);
    memcpy(buf, c->in.base + c->in.start, n);
    ioq_consume(&c->in, n);
    /* A connection that keeps sending keeps its input buffer for the next read (a free and a
     * malloc per request otherwise; oe_tls_trim gives it back when idle); one that has only
     * just begun gives it back at once, so that idle connections' buffers are reused. */
    if (c->in.start == c->in.end && c->feeds < FEEDS_KEEP)
        ioq_free(&c->in);
    return (int)n;
}

static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    oe_tls_conn_t *c = ctx;
    (void)crt;
    c->saw_cert = true;
    if (depth == 0 || *flags != 0)
        c->verify_flags |= *flags;
    return 0;
}

/* ---- connections ------------------------------------------------------------------------- */

static oe_tls_conn_t *conn_new(const mbedtls_ssl_config *conf)
{
    oe_tls_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    mbedtls_ssl_init(&c->ssl);
    if (mbedtls_ssl_setup(&c->ssl, conf) != 0) {
        mbedtls_ssl_free(&c->ssl);
        free(c);
        return NULL;
    }
    mbedtls_ssl_set_user_data_p(&c->ssl, c);
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    return c;
}

/* ---- record buffers' memory --------------------------------------------------------------- */

/* mbedtls holds a 16 KiB input and a 16 KiB output record buffer for the life of a connection
 * (MBEDTLS_SSL_IN_CONTENT_LEN / OUT_CONTENT_LEN: a peer may send full records, and full records
 * out keep large responses fast). Between records their bytes mean nothing, except the first 8
 * bytes of the input buffer, which hold the incoming record sequence number in TLS (in_ctr =
 * in_buf). Their pages are handed back to the kernel (MADV_DONTNEED: they read as zeros again
 * and cost nothing until written), so that an idle connection holds only the pages its recent
 * records touched: after the handshake (calloc and the handshake wrote every page of the output
 * buffer) and, on the caller's word, after a burst of large records. The buffer fields are private
 * to mbedtls; this reads them for the version pinned in vendor/deps.lock (3.6), where they are
 * fixed for the connection's life (MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH is off). */
static void drop_pages(uint8_t *p, size_t len, size_t keep)
{
    static size_t page;
    if (page == 0) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (size_t)ps : 4096;
    }
    uintptr_t a = ((uintptr_t)p + keep + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t b = ((uintptr_t)p + len) & ~(uintptr_t)(page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_DONTNEED);
}

void oe_tls_trim(oe_tls_conn_t *c)
{
    mbedtls_ssl_context *ssl = &c->ssl;
    if (c->in.start == c->in.end) /* an idle connection holds no input queue */
        ioq_free(&c->in);
    /* Input: only with no record partly received or partly read. */
    if (ssl->MBEDTLS_PRIVATE(in_buf) != NULL && ssl->MBEDTLS_PRIVATE(in_left) == 0 &&
        !mbedtls_ssl_check_pending(ssl))
        drop_pages(ssl->MBEDTLS_PRIVATE(in_buf), MBEDTLS_SSL_IN_CONTENT_LEN, 8);
    /* Output: bio_send takes whole records, so nothing waits in it between calls. */
    if (ssl->MBEDTLS_PRIVATE(out_buf) != NULL && ssl->MBEDTLS_PRIVATE(out_left) == 0)
        drop_pages(ssl->MBEDTLS_PRIVATE(out_buf), MBEDTLS_SSL_OUT_CONTENT_LEN, 0);
}

oe_tls_conn_t *oe_tls_conn_new_server(oe_tls_server_t *srv)
{
    if (srv->ncerts == 0)
        return NULL;
    oe_tls_conn_t *c = conn_new(&srv->conf);
    if (c == NULL)
        return NULL;
    atomic_fetch_add(&srv->refs, 1);
    c->srv = srv;
    c->cert = srv->certs[0];
    return c;
}

oe_tls_conn_t *oe_tls_conn_new_client(oe_tls_client_t *cli, const char *host)
{
    if (host == NULL && !cli->insecure)
        return NULL;
    oe_tls_conn_t *c = conn_new(&cli->conf);
    if (c == NULL)
        return NULL;
    if (mbedtls_ssl_set_hostname(&c->ssl, host) != 0) {
        mbedtls_ssl_free(&c->ssl);
        free(c);
        return NULL;
    }
    mbedtls_ssl_set_verify(&c->ssl, verify_cb, c);
    atomic_fetch_add(&cli->refs, 1);
    c->cli = cli;
    return c;
}

void oe_tls_conn_free(oe_tls_conn_t *c)
{
    if (c == NULL)
        return;
    mbedtls_ssl_free(&c->ssl);
    ioq_free(&c->in);
    ioq_free(&c->out);
    if (c->ticket_session != NULL) {
        mbedtls_ssl_session_free(c->ticket_session);
        free(c->ticket_session);
    }
    free(c->sni);
    server_unref(c->srv);
    client_unref(c->cli);
    free(c);
}

int oe_tls_feed(oe_tls_conn_t *c, const uint8_t *p, size_t n)
{
    if (c->feeds < FEEDS_KEEP)
        c->feeds++;
    if (c->in.end - c->in.start + n > OE_TLS_MAX_INBUF)
        return OE_TLS_EINBUF;
    return ioq_append(&c->in, p, n) == 0 ? OE_OK : OE_ENOMEM;
}

size_t oe_tls_pending_in(const oe_tls_conn_t *c)
{
    return c->in.end - c->in.start;
}

oe_slice_t oe_tls_pending_out(const oe_tls_conn_t *c)
{
    if (c->out.base == NULL) /* nothing queued yet (NULL + 0 is undefined behaviour) */
        return OE_SLICE(NULL, 0);
    return OE_SLICE(c->out.base + c->out.start, c->out.end - c->out.start);
}

void oe_tls_consume_out(oe_tls_conn_t *c, size_t n)
{
    ioq_consume(&c->out, OE_MIN(n, c->out.end - c->out.start));
}

oe_slice_t oe_tls_take_out(oe_tls_conn_t *c, uint8_t **buf, size_t *cap)
{
    if (c->out.end == c->out.start)
        return OE_SLICE(NULL, 0);
    oe_slice_t v = OE_SLICE(c->out.base + c->out.start, c->out.end - c->out.start);
    uint8_t *mine = *buf;
    size_t mine_cap = *cap;
    *buf = c->out.base;
    *cap = c->out.cap;
    c->out = (ioq_t){.base = mine, .cap = mine != NULL ? mine_cap : 0};
    return v;
}

void oe_tls_release_out(oe_tls_conn_t *c, size_t keep)
{
    if (c->out.end == c->out.start && c->out.cap > keep)
        ioq_free(&c->out);
}

/* Keeps a TLS 1.3 NewSessionTicket the client just received (mbedtls wants it fetched now). */
static void keep_ticket(oe_tls_conn_t *c)
{
    mbedtls_ssl_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return;
    mbedtls_ssl_session_init(s);
    if (mbedtls_ssl_get_session(&c->ssl, s) != 0) {
        mbedtls_ssl_session_free(s);
        free(s);
        return;
    }
    if (c->ticket_session != NULL) {
        mbedtls_ssl_session_free(c->ticket_session);
        free(c->ticket_session);
    }
    c->ticket_session = s;
}

static int map_err(oe_tls_conn_t *c, int mrc)
{
    switch (mrc) {
    case MBEDTLS_ERR_SSL_WANT_READ:
    case MBEDTLS_ERR_SSL_WANT_WRITE:
        return OE_TLS_WANT_IO;
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        return OE_TLS_ECLOSED;
    default:
        break;
    }
    c->last_mbed_err = mrc;
    if (c->oom || mrc == MBEDTLS_ERR_SSL_ALLOC_FAILED)
        return OE_ENOMEM;
    if (mrc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        return OE_TLS_EVERIFY;
    if (mrc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        return OE_TLS_EALERT;
    return OE_TLS_EPROTO;
}

int oe_tls_handshake(oe_tls_conn_t *c)
{
    if (c->done)
        return OE_OK;
    current_conn = c;
    int mrc;
    do {
        mrc = mbedtls_ssl_handshake(&c->ssl);
        if (mrc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            keep_ticket(c);
    } while (mrc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET);
    current_conn = NULL;
    if (mrc == 0) {
        c->done = true;
        /* The handshake wrote the output buffer through (and calloc did before): a client gives
         * back what the records of an idle connection do not need, once per connection. A server
         * does not: its connection nearly always answers a request at once, which faulted the
         * dropped pages in again (two madvise() and several page faults per connection, and
         * calloc's memset faults in what the previous connection's trim dropped); the HTTP
         * layer's tidy round trims a server connection once it idles (within 2 s). */
        if (c->cli != NULL)
            oe_tls_trim(c);
        return OE_OK;
    }
    return map_err(c, mrc);
}

bool oe_tls_handshake_done(const oe_tls_conn_t *c)
{
    return c->done;
}

ssize_t oe_tls_read(oe_tls_conn_t *c, uint8_t *buf, size_t cap)
{
    int rc = oe_tls_handshake(c);
    if (rc != OE_OK)
        return rc;
    if (cap == 0)
        return OE_EINVAL;
    /* mbedtls_ssl_read() also says WANT_READ after a post-handshake message or a warning alert,
     * with more records possibly buffered: retry while input remains (bounded: a partial record
     * keeps check_pending true). */
    for (int spins = 0;; spins++) {
        int mrc = mbedtls_ssl_read(&c->ssl, buf, OE_MIN(cap, (size_t)INT32_MAX));
        if (mrc > 0)
            return mrc;
        if (mrc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            keep_ticket(c);
            continue;
        }
        if (mrc == MBEDTLS_ERR_SSL_WANT_READ && spins < 16 &&
            (oe_tls_pending_in(c) > 0 || mbedtls_ssl_check_pending(&c->ssl)))
            continue;
        if (mrc == 0) /* mbedtls reports a transport EOF as 0; ours never ends */
            return OE_TLS_WANT_IO;
        return map_err(c, mrc);
    }
}

ssize_t oe_tls_write(oe_tls_conn_t *c, const uint8_t *p, size_t n)
{
    int rc = oe_tls_handshake(c);
    if (rc != OE_OK)
        return rc;
    size_t off = 0;
    while (off < n) {
        int mrc = mbedtls_ssl_write(&c->ssl, p + off, OE_MIN(n - off, (size_t)INT32_MAX));
        if (mrc < 0)
            return map_err(c, mrc);
        off += (size_t)mrc;
    }
    return (ssize_t)n;
}

int oe_tls_close_notify(oe_tls_conn_t *c)
{
    int mrc = mbedtls_ssl_close_notify(&c->ssl);
    return mrc == 0 ? OE_OK : map_err(c, mrc);
}

const char *oe_tls_alpn(const oe_tls_conn_t *c)
{
    return c->done ? mbedtls_ssl_get_alpn_protocol(&c->ssl) : NULL;
}

const char *oe_tls_sni(const oe_tls_conn_t *c)
{
    return c->sni;
}

int oe_tls_version(const oe_tls_conn_t *c)
{
    return c->done ? (int)mbedtls_ssl_get_version_number(&c->ssl) : 0;
}

const char *oe_tls_ciphersuite(const oe_tls_conn_t *c)
{
    return c->done ? mbedtls_ssl_get_ciphersuite(&c->ssl) : NULL;
}

const oe_tls_cert_t *oe_tls_conn_cert(const oe_tls_conn_t *c)
{
    return c->srv != NULL ? c->cert : NULL;
}

bool oe_tls_resumed(const oe_tls_conn_t *c)
{
    if (!c->done)
        return false;
    return c->srv != NULL ? c->ticket_accepted : !c->saw_cert;
}

void oe_tls_conn_strerror(const oe_tls_conn_t *c, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (c->last_mbed_err == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && c->verify_flags != 0) {
        char info[512];
        int n = mbedtls_x509_crt_verify_info(info, sizeof(info), "", c->verify_flags);
        /* One line: the flags' texts joined with "; ". */
        for (int i = 0; i < n; i++)
            if (info[i] == '\n')
                info[i] = (i == n - 1) ? '\0' : ';';
        snprintf(buf, cap, "certificate verification failed: %s", n > 0 ? info : "?");
        return;
    }
    if (c->last_mbed_err != 0) {
        char text[200];
        mbedtls_strerror(c->last_mbed_err, text, sizeof(text));
        snprintf(buf, cap, "%s (-0x%04x)", text, (unsigned)-c->last_mbed_err);
    }
}

oe_tls_fail_t oe_tls_conn_fail_reason(const oe_tls_conn_t *c)
{
    switch (c->last_mbed_err) {
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
        return OE_TLS_FAIL_VERSION;
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
        return OE_TLS_FAIL_NO_CIPHER;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
    case MBEDTLS_ERR_SSL_BAD_CERTIFICATE:
    case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
        return OE_TLS_FAIL_CERTIFICATE;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
        return OE_TLS_FAIL_ALERT;
    default:
        return OE_TLS_FAIL_PROTOCOL;
    }
}

/* ---- client sessions ------------------------------------------------------------------------ */

struct oe_tls_session {
    size_t len;
    uint8_t data[]; /* mbedtls_ssl_session_save() output; wiped on free */
};

static oe_tls_session_t *session_save(const mbedtls_ssl_session *s)
{
    size_t len = 0;
    if (mbedtls_ssl_session_save(s, NULL, 0, &len) != MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL || len == 0)
        return NULL;
    oe_tls_session_t *out = malloc(sizeof(*out) + len);
    if (out == NULL)
        return NULL;
    if (mbedtls_ssl_session_save(s, out->data, len, &out->len) != 0) {
        oe_wipe(out->data, len);
        free(out);
        return NULL;
    }
    return out;
}

oe_tls_session_t *oe_tls_session_get(oe_tls_conn_t *c)
{
    if (c->cli == NULL || !c->done)
        return NULL;
    if (c->ticket_session != NULL)
        return session_save(c->ticket_session);
    if (oe_tls_version(c) != OE_TLS_V12)
        return NULL; /* TLS 1.3 without a ticket cannot resume */
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    oe_tls_session_t *out = NULL;
    if (mbedtls_ssl_get_session(&c->ssl, &s) == 0)
        out = session_save(&s);
    mbedtls_ssl_session_free(&s);
    return out;
}

int oe_tls_conn_set_session(oe_tls_conn_t *c, const oe_tls_session_t *session)
{
    if (c->cli == NULL || session == NULL)
        return OE_EINVAL;
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    int mrc = mbedtls_ssl_session_load(&s, session->data, session->len);
    if (mrc == 0)
        mrc = mbedtls_ssl_set_session(&c->ssl, &s);
    mbedtls_ssl_session_free(&s);
    return mrc == 0 ? OE_OK : OE_EFORMAT;
}

void oe_tls_session_free(oe_tls_session_t *s)
{
    if (s == NULL)
        return;
    oe_wipe(s->data, s->len);
    free(s);
}

__attribute__((constructor)) static void register_errors(void)
{
    oe_strerror_register(100, 199, oe_tls_strerror);
}
