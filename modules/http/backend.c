/*
 * Streaming HTTP/1.1 to backends (backend.h). llhttp parses responses; its callbacks only record
 * (the head, spans of body bytes inside the read buffer, the end), and the caller's callbacks
 * run after llhttp_execute returned, while the read buffer is still alive. One uv_write is in
 * flight at a time; bytes queued behind it wait in wq.
 */
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/log.h"
#include "http/backend.h"
#include "tls/tls.h"

#define TAG "backend"

/* An idle pooled connection closes after this (below the 5 s keep-alive of Node.js servers, so
 * that we, not the backend, usually close first), and at most this many wait per worker (a
 * burst of requests in flight beyond it churns connections to the backend). */
#define POOL_IDLE_MS  4000
#define POOL_MAX_IDLE 256
#define READ_SIZE     65536

typedef struct bconn bconn_t;

struct oe_backend_pool {
    uv_loop_t *loop;
    bconn_t *idle; /* most recently used first */
    size_t nidle;
    size_t nconns; /* connections of this pool not yet freed */
    bool closing;
};

typedef struct span {
    const uint8_t *p;
    size_t n;
} span_t;

typedef struct hoff {
    size_t name, name_len, value, value_len;
} hoff_t;

struct bconn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    uv_connect_t creq;
    uv_timer_t timer;
    uv_write_t wreq;
    oe_backend_pool_t *pool;
    oe_backend_dest_t dest;
    oe_backend_x_t *x;
    bconn_t *prev, *next; /* in pool->idle */
    int handles;
    int pending_err; /* reported from the timer, outside the caller's call */
    bool connected, closing, writing, paused, reused, idle;
    llhttp_t parser;
    oe_buf_t raw; /* header names and values of the response head */
    hoff_t *hoffs;
    size_t nh, hcap;
    int last;           /* 1 after a name piece, 2 after a value piece */
    bool interim;       /* the head being parsed is a 1xx other than 101 */
    bool head_ready;    /* events of the last llhttp_execute: a head, body spans, the end */
    int64_t length;     /* of the head: content-length, or -1 (llhttp counts its copy down) */
    bool tunnel;        /* after a 101: raw bytes both ways */
    oe_tls_conn_t *tls; /* https backends */
    oe_buf_t pre;       /* request bytes waiting for the TLS handshake */
    size_t pre_body;    /* body payload bytes among them */
    bool complete;
    span_t *spans;
    size_t nspans, spans_cap;
    oe_buf_t wq;    /* bytes waiting behind the write in flight */
    size_t wq_body; /* request body bytes among them (not the chunk framing) */
    uint8_t *wbuf;  /* the write in flight */
    size_t wbody;
    uint64_t got; /* response bytes read in the current exchange */
};

struct oe_backend_x {
    bconn_t *c;
    const oe_backend_cb_t *cb;
    void *data;
    oe_backend_timeouts_t t;
    oe_buf_t head; /* kept for one retry on a fresh connection */
    int64_t body_length;
    bool head_method, got_head, req_done, retried;
};

static llhttp_settings_t settings;

static void conn_close(bconn_t *c);
static void fail(bconn_t *c, int err);
static void arm(bconn_t *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

bool oe_backend_dest_eq(const oe_backend_dest_t *a, const oe_backend_dest_t *b)
{
    if (a->unix_path != b->unix_path || a->tls != b->tls || strcmp(a->name, b->name) != 0)
        return false;
    if (a->unix_path)
        return strcmp(a->path, b->path) == 0;
    if (a->addr.ss_family != b->addr.ss_family)
        return false;
    size_t len =
        a->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    return memcmp(&a->addr, &b->addr, len) == 0;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bconn_t *conn_of(llhttp_t *p)
{
    return p->data;
}

static int on_message_begin(llhttp_t *p)
{
    bconn_t *c = conn_of(p);
    c->raw.len = 0;
    c->nh = 0;
    c->last = 0;
    c->interim = false;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    bconn_t *c = conn_of(p);
    if (c->head_ready || c->nspans > 0 || c->x == NULL || c->x->got_head)
        return 0; /* trailer fields are dropped */
    if (c->last != 1) {
        if (c->nh >= 256)
            return -1;
        if (c->nh == c->hcap) {
            c->hcap = c->hcap ? c->hcap * 2 : 16;
            c->hoffs = oe_realloc(c->hoffs, c->hcap * sizeof(*c->hoffs));
        }
        c->hoffs[c->nh++] = (hoff_t){.name = c->raw.len};
    }
    for (size_t i = 0; i < len; i++) {
        char ch = at[i] >= 'A' && at[i] <= 'Z' ? (char)(at[i] + 32) : at[i];
        oe_buf_append(&c->raw, &ch, 1);
    }
    c->hoffs[c->nh - 1].name_len += len;
    c->last = 1;
    return c->raw.len > 65536 ? -1 : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    bconn_t *c = conn_of(p);
    if (c->head_ready || c->nspans > 0 || c->x == NULL || c->x->got_head || c->nh == 0)
        return 0;
    if (c->last != 2)
        c->hoffs[c->nh - 1].value = c->raw.len;
    oe_buf_append(&c->raw, at, len);
    c->hoffs[c->nh - 1].value_len += len;
    c->last = 2;
    return c->raw.len > 65536 ? -1 : 0;
}

static int on_headers_complete(llhttp_t *p)
{
    bconn_t *c = conn_of(p);
    if (p->status_code < 100)
        return -1; /* "020": three digits to llhttp, no status to HTTP (RFC 9110 §15) */
    if (p->status_code == 101 && (c->x == NULL || c->x->body_length != OE_BACKEND_TUNNEL))
        return -1; /* switching protocols unasked */
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
        c->interim = true; /* 100 Continue, 103 Early Hints: not passed on */
        return 0;
    }
    c->head_ready = true;
    c->length =
        (p->flags & F_CONTENT_LENGTH) && !(p->flags & F_CHUNKED) ? (int64_t)p->content_length : -1;
    return c->x != NULL && c->x->head_method ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    bconn_t *c = conn_of(p);
    if (c->nspans == c->spans_cap) {
        c->spans_cap = c->spans_cap ? c->spans_cap * 2 : 16;
        c->spans = oe_realloc(c->spans, c->spans_cap * sizeof(*c->spans));
    }
    c->spans[c->nspans++] = (span_t){(const uint8_t *)at, len};
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    bconn_t *c = conn_of(p);
    if (c->interim) {
        c->interim = false;
        return 0; /* the final response follows */
    }
    if (p->status_code == 101)
        return 0; /* llhttp stops with HPE_PAUSED_UPGRADE where the tunnel's bytes begin */
    c->complete = true;
    return HPE_PAUSED;
}

static void setup_settings(void)
{
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
}

/* ---- connections -------------------------------------------------------------------------- */

static void on_close(uv_handle_t *h)
{
    bconn_t *c = h->data;
    if (--c->handles > 0)
        return;
    oe_backend_pool_t *pool = c->pool;
    oe_buf_free(&c->raw);
    oe_buf_free(&c->wq);
    oe_buf_free(&c->pre);
    oe_tls_conn_free(c->tls);
    free(c->hoffs);
    free(c->spans);
    free(c);
    if (--pool->nconns == 0 && pool->closing)
        free(pool);
}

static void idle_remove(bconn_t *c)
{
    if (!c->idle)
        return;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        c->pool->idle = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->idle = false;
    c->pool->nidle--;
}

static void conn_close(bconn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    idle_remove(c);
    if (c->x != NULL)
        c->x->c = NULL;
    c->x = NULL;
    uv_close(&c->h.handle, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

/* One read buffer per worker thread: libuv calls on_read right after on_alloc, and everything
 * handed to callbacks from it is borrowed for the call only. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static __thread char rbuf[READ_SIZE];
    (void)h;
    (void)hint;
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

static void flush(bconn_t *c);

static void on_write(uv_write_t *req, int status)
{
    bconn_t *c = req->data;
    c->writing = false;
    free(c->wbuf);
    c->wbuf = NULL;
    size_t n = c->wbody;
    c->wbody = 0;
    if (c->closing)
        return;
    if (status < 0) {
        fail(c, OE_BACKEND_ECLOSED);
        return;
    }
    oe_backend_x_t *x = c->x;
    if (x != NULL && n > 0) {
        x->cb->written(x->data, n);
        if (c->x != x || c->closing)
            return;
    }
    /* The callback may have queued (and started writing) more already. */
    flush(c);
    arm(c);
}

/* Starts writing what is queued, if nothing is in flight. Errors are reported from the timer. */
static void flush(bconn_t *c)
{
    if (c->writing || !c->connected || c->closing || c->wq.len == 0)
        return;
    c->wbuf = c->wq.base;
    uv_buf_t b = uv_buf_init((char *)c->wq.base, (unsigned)c->wq.len);
    c->wbody = c->wq_body;
    c->wq = (oe_buf_t){0};
    c->wq_body = 0;
    c->wreq.data = c;
    if (uv_write(&c->wreq, &c->h.stream, &b, 1, on_write) < 0) {
        free(c->wbuf);
        c->wbuf = NULL;
        c->pending_err = OE_BACKEND_ECLOSED;
        arm(c);
        return;
    }
    c->writing = true;
}

/* Runs the caller's callbacks for what the last llhttp_execute recorded. extra: bytes after
 * the end of the response (the connection is then not reused). Returns false when the exchange
 * ended or went away. */
static bool deliver(bconn_t *c, bool extra)
{
    oe_backend_x_t *x = c->x;
    if (c->head_ready) {
        c->head_ready = false;
        oe_header_t *hs = oe_calloc(c->nh ? c->nh : 1, sizeof(*hs));
        for (size_t i = 0; i < c->nh; i++) {
            hs[i].name = OE_SLICE(c->raw.base + c->hoffs[i].name, c->hoffs[i].name_len);
            hs[i].value = OE_SLICE(c->raw.base + c->hoffs[i].value, c->hoffs[i].value_len);
        }
        int64_t len = c->length;
        if (c->parser.status_code == 204 || c->parser.status_code == 304)
            len = 0;
        x->got_head = true;
        x->cb->head(x->data, c->parser.status_code, hs, c->nh, len);
        free(hs);
        if (c->x != x)
            return false;
        arm(c);
    }
    for (size_t i = 0; i < c->nspans; i++) {
        x->cb->body(x->data, c->spans[i].p, c->spans[i].n);
        if (c->x != x) {
            c->nspans = 0;
            return false;
        }
    }
    c->nspans = 0;
    if (!c->complete)
        return true;
    c->complete = false;
    /* Reusable only after a clean exchange: both messages whole, keep-alive, nothing extra. */
    bool reuse = llhttp_should_keep_alive(&c->parser) && x->req_done && c->wq.len == 0 &&
                 !c->writing && !extra && c->parser.status_code != 101 &&
                 c->pool->nidle < POOL_MAX_IDLE && !c->pool->closing;
    c->x = NULL;
    x->c = NULL;
    if (reuse) {
        c->idle = true;
        c->next = c->pool->idle;
        if (c->next != NULL)
            c->next->prev = c;
        c->prev = NULL;
        c->pool->idle = c;
        c->pool->nidle++;
        if (c->paused) { /* an idle connection is read to notice its close */
            c->paused = false;
            uv_read_start(&c->h.stream, on_alloc, on_read);
        }
        arm(c);
    } else {
        conn_close(c);
    }
    x->cb->end(x->data);
    oe_buf_free(&x->head);
    free(x);
    return false;
}

/* The backend ended its side (EOF, reset, close_notify): a tunnel or a body delimited by the
 * close ends here; anything else is cut short. */
static void plain_eof(bconn_t *c)
{
    oe_backend_x_t *x = c->x;
    if (c->tunnel) {
        conn_close(c);
        x->cb->end(x->data);
        oe_buf_free(&x->head);
        free(x);
        return;
    }
    if (x->got_head) {
        llhttp_errno_t err = llhttp_finish(&c->parser);
        if ((err == HPE_OK || err == HPE_PAUSED) && c->complete) {
            deliver(c, true);
            return;
        }
    }
    fail(c, OE_BACKEND_ECLOSED);
}

/* Response bytes (after TLS, if any) while an exchange is on c. p stays valid during the call. */
static void plain_input(bconn_t *c, const char *p, size_t n)
{
    c->got += n;
    if (c->tunnel) {
        oe_backend_x_t *x = c->x;
        x->cb->body(x->data, (const uint8_t *)p, n);
        if (c->x == x)
            arm(c);
        return;
    }
    while (n > 0 && c->x != NULL) {
        llhttp_errno_t err = llhttp_execute(&c->parser, p, n);
        size_t used = n;
        if (err == HPE_PAUSED && c->complete) {
            const char *stop = llhttp_get_error_pos(&c->parser);
            used = stop != NULL ? (size_t)(stop - p) : n;
            llhttp_resume(&c->parser);
        } else if (err == HPE_PAUSED_UPGRADE) { /* 101 to an upgrade (on_headers_complete) */
            const char *stop = llhttp_get_error_pos(&c->parser);
            used = stop != NULL ? (size_t)(stop - p) : n;
            oe_backend_x_t *x = c->x;
            if (!deliver(c, false))
                return;
            c->tunnel = true;
            if (used < n) {
                x->cb->body(x->data, (const uint8_t *)p + used, n - used);
                if (c->x != x)
                    return;
            }
            break;
        } else if (err != HPE_OK) {
            oe_log_debug(TAG, "malformed response: %s", llhttp_errno_name(err));
            if (deliver(c, true))
                fail(c, OE_BACKEND_EPROTO);
            return;
        }
        if (!deliver(c, used < n))
            return;
        p += used;
        n -= used;
        if (err == HPE_OK)
            break;
    }
    oe_backend_x_t *x = c->x;
    if (x != NULL && x->got_head && !c->tunnel) {
        x->cb->batch(x->data);
        if (c->x != x)
            return;
    }
    if (c->x != NULL)
        arm(c);
}

/* Moves the TLS engine's ciphertext into the write queue. */
static void move_out(bconn_t *c)
{
    oe_slice_t out = oe_tls_pending_out(c->tls);
    if (out.len == 0)
        return;
    oe_buf_append(&c->wq, out.base, out.len);
    oe_tls_consume_out(c->tls, out.len);
}

/* Queues request bytes (body: how many of them are body payload); through TLS once its
 * handshake is done, held until then. Errors are reported from the timer. */
static void queue(bconn_t *c, const void *p, size_t n, size_t body)
{
    if (c->tls == NULL) {
        oe_buf_append(&c->wq, p, n);
        c->wq_body += body;
        return;
    }
    if (!oe_tls_handshake_done(c->tls)) {
        oe_buf_append(&c->pre, p, n);
        c->pre_body += body;
        return;
    }
    if (oe_tls_write(c->tls, p, n) < 0) {
        c->pending_err = OE_BACKEND_EPROTO;
        arm(c);
        return;
    }
    move_out(c);
    c->wq_body += body;
}

/* Ciphertext from an HTTPS backend: the handshake, then records to plain_input. */
static void tls_input(bconn_t *c, const uint8_t *p, size_t n)
{
    if (oe_tls_feed(c->tls, p, n) < 0) {
        fail(c, OE_BACKEND_EPROTO);
        return;
    }
    if (!oe_tls_handshake_done(c->tls)) {
        int rc = oe_tls_handshake(c->tls);
        if (rc == OE_TLS_WANT_IO) {
            move_out(c);
            flush(c);
            return;
        }
        if (rc < 0) {
            char why[256];
            oe_tls_conn_strerror(c->tls, why, sizeof(why));
            oe_log_warn(TAG, "TLS with the backend %s failed: %s", c->dest.name, why);
            fail(c, OE_BACKEND_ECONNECT);
            return;
        }
        oe_buf_t pre = c->pre;
        c->pre = (oe_buf_t){0};
        size_t body = c->pre_body;
        c->pre_body = 0;
        if (pre.len > 0)
            queue(c, pre.base, pre.len, body);
        oe_buf_free(&pre);
    }
    static __thread uint8_t pbuf[READ_SIZE];
    while (!c->closing) {
        ssize_t r = oe_tls_read(c->tls, pbuf, sizeof(pbuf));
        if (r == OE_TLS_WANT_IO)
            break;
        if (c->x == NULL) { /* idle: anything but session tickets ends it */
            conn_close(c);
            return;
        }
        if (r == 0 || r == OE_TLS_ECLOSED) {
            plain_eof(c);
            return;
        }
        if (r < 0) {
            fail(c, OE_BACKEND_EPROTO);
            return;
        }
        plain_input(c, (const char *)pbuf, (size_t)r);
    }
    if (!c->closing) {
        move_out(c);
        flush(c);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    bconn_t *c = s->data;
    if (c->closing || nread == 0)
        return;
    if (nread < 0) {
        if (c->x == NULL)
            conn_close(c); /* idle in the pool: the backend closed it */
        else
            plain_eof(c);
    } else if (c->tls != NULL) {
        tls_input(c, (const uint8_t *)buf->base, (size_t)nread);
    } else if (c->x == NULL) { /* idle in the pool: bytes it must not send */
        conn_close(c);
    } else {
        plain_input(c, buf->base, (size_t)nread);
    }
}

static void attach(bconn_t *c, oe_backend_x_t *x)
{
    c->x = x;
    x->c = c;
    llhttp_init(&c->parser, HTTP_RESPONSE, &settings);
    c->parser.data = c;
    c->raw.len = 0;
    c->nh = 0;
    c->last = 0;
    c->got = 0;
    c->interim = c->head_ready = c->complete = false;
    c->nspans = 0;
    queue(c, x->head.base, x->head.len, 0);
    flush(c);
    arm(c);
}

static void on_connect(uv_connect_t *req, int status)
{
    bconn_t *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        fail(c, OE_BACKEND_ECONNECT);
        return;
    }
    c->connected = true;
    uv_read_start(&c->h.stream, on_alloc, on_read);
    if (c->tls != NULL) {
        oe_tls_handshake(c->tls); /* ClientHello */
        move_out(c);
    }
    flush(c);
    arm(c);
}

static bconn_t *conn_new(oe_backend_pool_t *pool, const oe_backend_dest_t *dest)
{
    bconn_t *c = oe_calloc(1, sizeof(*c));
    c->pool = pool;
    c->dest = *dest;
    pool->nconns++;
    if (dest->tls != NULL) {
        c->tls = oe_tls_conn_new_client(dest->tls, dest->name);
        if (c->tls == NULL)
            c->pending_err = OE_BACKEND_ECONNECT;
    }
    uv_timer_init(pool->loop, &c->timer);
    c->timer.data = c;
    c->handles = 2;
    c->creq.data = c;
    if (dest->unix_path) {
        uv_pipe_init(pool->loop, &c->h.pipe, 0);
        c->h.handle.data = c;
        uv_pipe_connect(&c->creq, &c->h.pipe, dest->path, on_connect);
    } else {
        uv_tcp_init(pool->loop, &c->h.tcp);
        c->h.handle.data = c;
        uv_tcp_nodelay(&c->h.tcp, 1);
        if (uv_tcp_connect(&c->creq, &c->h.tcp, (const struct sockaddr *)&dest->addr, on_connect) <
            0)
            c->pending_err = OE_BACKEND_ECONNECT; /* reported by the timer (arm) */
    }
    return c;
}

/* The exchange failed on c: a reused connection that closed before any response byte is
 * replaced once for a request without a body (the backend may have closed it just as we took
 * it from the pool); otherwise the caller hears of it. */
static void fail(bconn_t *c, int err)
{
    oe_backend_x_t *x = c->x;
    oe_backend_pool_t *pool = c->pool;
    oe_backend_dest_t dest = c->dest;
    bool retry = x != NULL && c->reused && c->got == 0 && !x->retried && x->body_length == 0 &&
                 err == OE_BACKEND_ECLOSED;
    conn_close(c);
    if (x == NULL)
        return;
    if (retry) {
        x->retried = true;
        attach(conn_new(pool, &dest), x);
        return;
    }
    x->cb->error(x->data, err);
    oe_buf_free(&x->head);
    free(x);
}

static void on_timer(uv_timer_t *t)
{
    bconn_t *c = t->data;
    if (c->closing)
        return;
    if (c->pending_err != 0) {
        int err = c->pending_err;
        c->pending_err = 0;
        fail(c, err);
        return;
    }
    if (c->x == NULL) { /* idle in the pool too long */
        conn_close(c);
        return;
    }
    fail(c, OE_BACKEND_ETIMEOUT);
}

/* The timer for c's state: connecting, waiting for the head after the whole request, or idle
 * (no byte either way); not while paused (the client is the slow one then). */
static void arm(bconn_t *c)
{
    oe_backend_x_t *x = c->x;
    if (c->closing)
        return;
    if (c->pending_err != 0) {
        uv_timer_start(&c->timer, on_timer, 0, 0);
        return;
    }
    if (x == NULL) {
        uv_timer_start(&c->timer, on_timer, POOL_IDLE_MS, 0);
        return;
    }
    if (c->paused) {
        uv_timer_stop(&c->timer);
        return;
    }
    uint64_t ms = !c->connected                                                  ? x->t.connect
                  : !x->got_head && x->req_done && c->wq.len == 0 && !c->writing ? x->t.first_byte
                                                                                 : x->t.idle;
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- the API ------------------------------------------------------------------------------ */

oe_backend_pool_t *oe_backend_pool_new(uv_loop_t *loop)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, setup_settings);
    oe_backend_pool_t *p = oe_calloc(1, sizeof(*p));
    p->loop = loop;
    return p;
}

void oe_backend_pool_close(oe_backend_pool_t *p)
{
    if (p == NULL)
        return;
    p->closing = true;
    while (p->idle != NULL)
        conn_close(p->idle);
    if (p->nconns == 0)
        free(p);
}

oe_backend_x_t *oe_backend_request(oe_backend_pool_t *p, const oe_backend_dest_t *dest,
                                   const oe_backend_timeouts_t *t, const void *head, size_t len,
                                   int64_t body_length, bool head_method, const oe_backend_cb_t *cb,
                                   void *data)
{
    oe_backend_x_t *x = oe_calloc(1, sizeof(*x));
    x->cb = cb;
    x->data = data;
    x->t = *t;
    x->body_length = body_length;
    x->head_method = head_method;
    x->req_done = body_length == 0;
    oe_buf_append(&x->head, head, len);
    bconn_t *c = p->idle;
    while (c != NULL && !oe_backend_dest_eq(&c->dest, dest))
        c = c->next;
    if (c != NULL) {
        idle_remove(c);
        c->reused = true;
    } else {
        c = conn_new(p, dest);
    }
    attach(c, x);
    return x;
}

void oe_backend_write(oe_backend_x_t *x, const void *p, size_t n)
{
    bconn_t *c = x->c;
    if (c == NULL || c->closing || x->req_done || n == 0)
        return;
    if (x->body_length == -1) {
        char line[24];
        int k = snprintf(line, sizeof(line), "%zx\r\n", n);
        queue(c, line, (size_t)k, 0);
        queue(c, p, n, n);
        queue(c, "\r\n", 2, 0);
    } else {
        queue(c, p, n, n);
    }
    flush(c);
}

void oe_backend_write_end(oe_backend_x_t *x)
{
    bconn_t *c = x->c;
    if (x->req_done)
        return;
    x->req_done = true;
    if (c == NULL || c->closing)
        return;
    if (x->body_length == -1)
        queue(c, "0\r\n\r\n", 5, 0);
    flush(c);
    arm(c);
}

void oe_backend_pause(oe_backend_x_t *x, bool paused)
{
    bconn_t *c = x->c;
    if (c == NULL || c->closing || c->paused == paused)
        return;
    c->paused = paused;
    if (c->connected) {
        if (paused)
            uv_read_stop(&c->h.stream);
        else
            uv_read_start(&c->h.stream, on_alloc, on_read);
    }
    arm(c);
}

void oe_backend_cancel(oe_backend_x_t *x)
{
    if (x == NULL)
        return;
    if (x->c != NULL)
        conn_close(x->c);
    oe_buf_free(&x->head);
    free(x);
}
