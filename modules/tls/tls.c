/*
 * TLS engine over mbedtls 3.6: the module's glue (PSA initialisation, error texts) and the server
 * and client configurations (versions, ciphersuites, ALPN, session tickets, certificate selection
 * callback, TLS-ALPN-01 certificates, reference counts). Certificate loading is tls_cert.c, the
 * ticket binding tls_ticket.c, connections tls_conn.c. See tls.h.
 */
#include "tls/tls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "crypto/crypto.h"
#include "tls/tls_int.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define MAX_ALPN         8

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

void oe_tls__set_err(char **err, char *msg)
{
    if (err != NULL)
        *err = msg;
    else
        free(msg);
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
            oe_tls__set_err(
                err, oe_asprintf("ALPN list: protocol %zu is empty, longer than 255 bytes or "
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
        oe_tls__set_err(err,
                        oe_asprintf("TLS versions: only 1.2 and 1.3 are supported (min <= max)"));
        return OE_ECONFIG;
    }
    mbedtls_ssl_conf_min_tls_version(conf, (mbedtls_ssl_protocol_version)min);
    mbedtls_ssl_conf_max_tls_version(conf, (mbedtls_ssl_protocol_version)max);
    return OE_OK;
}

/* ---- server ------------------------------------------------------------------------------ */

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
        oe_tls_server_pick_cert(c->srv, c->sni ? OE_SLICE_STR(c->sni) : OE_SLICE(NULL, 0));
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
        oe_tls__set_err(err,
                        oe_asprintf("TLS: PSA crypto or random generator initialisation failed"));
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
        oe_tls__set_err(err, oe_tls__mbed_msg("TLS server defaults", rc));
        goto fail;
    }
    if (conf_versions(&srv->conf, opts->min_version, opts->max_version, err) != OE_OK)
        goto fail;
    mbedtls_ssl_conf_rng(&srv->conf, oe_crypto_random, NULL);
    mbedtls_ssl_conf_ciphersuites(&srv->conf, ciphersuites);
    rc = mbedtls_ssl_conf_alpn_protocols(&srv->conf, srv->alpn);
    if (rc != 0) {
        oe_tls__set_err(err, oe_tls__mbed_msg("TLS ALPN", rc));
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
            oe_tls__set_err(err, oe_tls__mbed_msg("TLS session tickets", rc));
            goto fail;
        }
        if (oe_crypto_random(NULL, srv->ticket_bind_key, sizeof(srv->ticket_bind_key)) != 0) {
            oe_tls__set_err(err, oe_asprintf("TLS session tickets: no random bytes for the key"));
            goto fail;
        }
        mbedtls_ssl_conf_session_tickets_cb(&srv->conf, oe_tls__ticket_write, oe_tls__ticket_parse,
                                            srv);
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

void oe_tls__server_unref(oe_tls_server_t *srv)
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
        oe_tls__cert_free(srv->certs[i]); /* mbedtls_pk_free wipes the private keys */
    free(srv->certs);
    free(srv->alpn);
    free(srv);
}

void oe_tls_server_free(oe_tls_server_t *srv)
{
    oe_tls__server_unref(srv);
}

/* ---- client ------------------------------------------------------------------------------ */

oe_tls_client_t *oe_tls_client_new(const oe_tls_client_opts_t *opts, char **err)
{
    static const oe_tls_client_opts_t defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    if (oe_tls_global_init() != OE_OK) {
        oe_tls__set_err(err,
                        oe_asprintf("TLS: PSA crypto or random generator initialisation failed"));
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
        oe_tls__set_err(err, oe_tls__mbed_msg("TLS client defaults", rc));
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
            oe_tls__set_err(err, oe_tls__mbed_msg("TLS ALPN", rc));
            goto fail;
        }
    }
    if (!opts->insecure) {
        const char *ca = opts->ca_file ? opts->ca_file : SYSTEM_CA_BUNDLE;
        char *buf = NULL;
        size_t len = 0;
        if (oe_tls__read_file(ca, "CA", &buf, &len, err) != OE_OK)
            goto fail;
        /* PEM is parsed only when the NUL is counted; a DER file is passed as it is. */
        bool pem = strstr(buf, "-----BEGIN") != NULL;
        rc = mbedtls_x509_crt_parse(&cli->ca, (const unsigned char *)buf, pem ? len + 1 : len);
        oe_tls__free_file(buf, len);
        /* A bundle may hold a few certificates mbedtls cannot parse (rc > 0): use the rest. */
        if (rc < 0 || cli->ca.raw.p == NULL) {
            char *what = oe_asprintf("%s: no usable CA certificate", ca);
            oe_tls__set_err(err,
                            oe_tls__mbed_msg(what, rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT));
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

void oe_tls__client_unref(oe_tls_client_t *cli)
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
    oe_tls__client_unref(cli);
}

__attribute__((constructor)) static void register_errors(void)
{
    oe_strerror_register(100, 199, oe_tls_strerror);
}
