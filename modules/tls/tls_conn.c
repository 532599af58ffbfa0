/*
 * The per-connection engine of the tls module: the two byte queues and the memory-BIO callbacks,
 * handshake, read, write and close_notify, the record buffers' trimming, the connection's
 * properties and failure texts, and client sessions for resumption.
 */
#include "tls/tls.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls_int.h"

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
    oe_tls__server_unref(c->srv);
    oe_tls__client_unref(c->cli);
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
    oe_tls__current_conn = c;
    int mrc;
    do {
        mrc = mbedtls_ssl_handshake(&c->ssl);
        if (mrc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            keep_ticket(c);
    } while (mrc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET);
    oe_tls__current_conn = NULL;
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
