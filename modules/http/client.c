/*
 * The outbound HTTPS client (see client.h). Calls wait in one pending list until a connection to
 * their destination can take them: an HTTP/2 connection takes any number (nghttp2 queues beyond
 * the server's stream limit), an HTTP/1.1 connection one at a time. A connection is opened when
 * a pending call finds none connecting to its destination; ALPN decides the protocol.
 */
#include <llhttp.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/list.h"
#include "core/log.h"
#include "core/net.h"
#include "http/client.h"
#include "tls/tls.h"

#define TAG     "http-client"
#define IDLE_MS 30000

typedef struct cconn cconn_t;

struct oe_http_call {
    oe_http_client_t *c;
    oe_http_client_cb cb;
    void *data;
    char *host, *method, *path;
    struct sockaddr_storage addr;
    oe_buf_t hdrs; /* "name\0value\0" request headers */
    size_t nhdrs;
    oe_slice_t body;
    size_t body_sent;
    uv_timer_t timer;
    cconn_t *conn;
    int32_t stream;
    int status;
    oe_buf_t rraw; /* response header names and values */
    size_t *roffs;
    size_t rn, rcap;
    int rlast;
    oe_buf_t rbody;
    int result; /* a status or failure waiting to be delivered (never 0 once set) */
    int where;  /* which list holds it: one of the IN_ values */
    bool done;
    bool ended;     /* HTTP/2: the response's END_STREAM arrived (a reset before it truncates) */
    oe_list_t link; /* in the list named by where */
};

/* A call is on exactly one list until it completes: the client's pending list (also while a
 * result waits for its zero timer), its connection's calls, or its connection's finished calls
 * (a result recorded by a parser callback, delivered once the parser has returned). */
enum { IN_NONE, IN_PENDING, IN_CALLS, IN_FINISHED };

struct cconn {
    oe_http_client_t *c;
    char *host;
    struct sockaddr_storage addr;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_timer_t timer;
    oe_tls_conn_t *tls;
    int proto; /* 0 while connecting, 1 HTTP/1.1, 2 HTTP/2 */
    nghttp2_session *h2;
    llhttp_t parser;
    oe_list_t calls;    /* assigned calls */
    oe_list_t finished; /* results recorded inside the parser, not yet delivered */
    uv_write_t wreq;
    uint8_t *wbuf;
    size_t wlen, wcap;
    bool writing, closing, goaway, in_recv;
    bool session_saved; /* its TLS session is in the client's cache (or was used up) */
    int handles;
    oe_list_t link; /* in the client's conns */
};

/* TLS sessions to resume, one per destination (host and address): a new connection takes its
 * destination's (a ticket is used once, RFC 8446 Appendix C.4) and puts back the one its own
 * handshake brings, so each connection after the first saves a full handshake. */
#define SESSIONS 32
typedef struct session {
    char *host; /* NULL: a free slot */
    struct sockaddr_storage addr;
    oe_tls_session_t *s;
} session_t;

struct oe_http_client {
    session_t sessions[SESSIONS];
    size_t session_next; /* the slot replaced when all are taken */
    uv_loop_t *loop;
    oe_http_client_conf_t conf;
    oe_list_t pending; /* calls */
    oe_list_t conns;
    size_t ncalls;
    bool closing;
    bool pumping, pump_again; /* pump() is on the stack: run it again instead of nesting */
};

static void pump(oe_http_client_t *c);
static void cconn_close(cconn_t *k, int err);
static void on_conn_timer(uv_timer_t *t);
static void on_call_timer(uv_timer_t *t);
static void cconn_flush(cconn_t *k);
static void client_h2_send(cconn_t *k);
static llhttp_settings_t client_h1_settings;

/* ---- lists ------------------------------------------------------------------------------------
 */

static oe_http_call_t *call_of(oe_list_t *n)
{
    return OE_LIST_ENTRY(n, oe_http_call_t, link);
}

static cconn_t *conn_of(oe_list_t *n)
{
    return OE_LIST_ENTRY(n, cconn_t, link);
}

static oe_list_t *list_of(oe_http_call_t *x)
{
    switch (x->where) {
    case IN_PENDING:
        return &x->c->pending;
    case IN_CALLS:
        return &x->conn->calls;
    case IN_FINISHED:
        return &x->conn->finished;
    default:
        return NULL;
    }
}

/* Puts x at the head of the list named by where (x->conn set for a connection's lists). */
static void call_link(oe_http_call_t *x, int where)
{
    x->where = where;
    oe_list_insert_head(list_of(x), &x->link);
}

static void call_unlink(oe_http_call_t *x)
{
    if (x->where == IN_NONE)
        return;
    oe_list_remove(&x->link);
    x->where = IN_NONE;
}

/* Takes x off whatever list holds it and off its connection (and HTTP/2 stream); a connection
 * left without calls starts its idle timer. No callback. */
static void call_detach(oe_http_call_t *x)
{
    cconn_t *k = x->conn;
    call_unlink(x);
    x->conn = NULL;
    if (k == NULL)
        return;
    if (k->h2 != NULL && x->stream > 0)
        nghttp2_session_set_stream_user_data(k->h2, x->stream, NULL);
    if (oe_list_empty(&k->calls) && !k->closing)
        uv_timer_start(&k->timer, on_conn_timer, IDLE_MS, 0);
}

/* Assigns pending call x to connection k. */
static void call_assign(oe_http_call_t *x, cconn_t *k)
{
    call_unlink(x);
    x->conn = k;
    call_link(x, IN_CALLS);
    uv_timer_stop(&k->timer);
}

static bool same_dest(const cconn_t *k, const oe_http_call_t *x)
{
    return strcmp(k->host, x->host) == 0 && memcmp(&k->addr, &x->addr, sizeof(k->addr)) == 0;
}

/* ---- calls ------------------------------------------------------------------------------------
 */

oe_http_client_t *oe_http_client_new(uv_loop_t *loop, const oe_http_client_conf_t *conf)
{
    oe_http_client_t *c = oe_calloc(1, sizeof(*c));
    c->loop = loop;
    c->conf = *conf;
    oe_list_init(&c->pending);
    oe_list_init(&c->conns);
    if (c->conf.connect_timeout_ms == 0)
        c->conf.connect_timeout_ms = 5000;
    if (c->conf.request_timeout_ms == 0)
        c->conf.request_timeout_ms = 10000;
    if (c->conf.max_response == 0)
        c->conf.max_response = 65536;
    if (c->conf.max_h1_conns == 0)
        c->conf.max_h1_conns = 4;
    return c;
}

static void session_clear(session_t *e)
{
    free(e->host);
    oe_tls_session_free(e->s);
    *e = (session_t){0};
}

static session_t *session_find(oe_http_client_t *c, const cconn_t *k)
{
    for (size_t i = 0; i < SESSIONS; i++) {
        session_t *e = &c->sessions[i];
        if (e->host != NULL && strcmp(e->host, k->host) == 0 &&
            memcmp(&e->addr, &k->addr, sizeof(e->addr)) == 0)
            return e;
    }
    return NULL;
}

/* Before k's handshake: offer (and forget) the session kept for its destination. */
static void session_offer(oe_http_client_t *c, cconn_t *k)
{
    session_t *e = session_find(c, k);
    if (e == NULL)
        return;
    if (oe_tls_conn_set_session(k->tls, e->s) < 0)
        oe_log_debug(TAG, "TLS session for %s not offered", k->host);
    session_clear(e);
}

/* After k has read from its server: keep the session its handshake brought (TLS 1.3 tickets
 * arrive after the handshake, so this is tried after each read until one is there). */
static void session_save(oe_http_client_t *c, cconn_t *k)
{
    if (k->session_saved || k->proto == 0)
        return;
    oe_tls_session_t *s = oe_tls_session_get(k->tls);
    if (s == NULL)
        return;
    k->session_saved = true;
    session_t *e = session_find(c, k);
    if (e == NULL) {
        for (size_t i = 0; i < SESSIONS && e == NULL; i++)
            if (c->sessions[i].host == NULL)
                e = &c->sessions[i];
        if (e == NULL) {
            e = &c->sessions[c->session_next];
            c->session_next = (c->session_next + 1) % SESSIONS;
        }
    }
    session_clear(e);
    e->host = oe_strdup(k->host);
    e->addr = k->addr;
    e->s = s;
}

static void maybe_free_client(oe_http_client_t *c)
{
    if (c->closing && c->ncalls == 0 && oe_list_empty(&c->conns)) {
        for (size_t i = 0; i < SESSIONS; i++)
            session_clear(&c->sessions[i]);
        free(c);
    }
}

static void on_call_closed(uv_handle_t *h)
{
    oe_http_call_t *x = h->data;
    oe_http_client_t *c = x->c;
    free(x->host);
    free(x->method);
    free(x->path);
    oe_buf_free(&x->hdrs);
    oe_buf_free(&x->rraw);
    oe_buf_free(&x->rbody);
    free(x->roffs);
    free(x);
    c->ncalls--;
    maybe_free_client(c);
}

/* Ends a call: takes it off its list and connection, calls back (unless cancelled), frees it
 * after its timer closes. Runs only where no parser is on the stack (a libuv callback, or after
 * llhttp_execute / nghttp2_session_mem_recv2 returned) and never inside oe_http_client_request:
 * the callback may start the next request on the same connection, cancel calls or close the
 * client, so every connection and parser is consistent before it runs. */
static void complete(oe_http_call_t *x, int status)
{
    if (x->done)
        return;
    x->done = true;
    uv_timer_stop(&x->timer);
    call_detach(x);
    if (x->cb != NULL) {
        oe_header_t *h = calloc(x->rn ? x->rn : 1, sizeof(*h));
        for (size_t i = 0; h != NULL && i < x->rn; i++) {
            h[i].name = OE_SLICE(x->rraw.base + x->roffs[4 * i], x->roffs[4 * i + 1]);
            h[i].value = OE_SLICE(x->rraw.base + x->roffs[4 * i + 2], x->roffs[4 * i + 3]);
        }
        x->cb(x->data, status, h, h ? x->rn : 0,
              status > 0 ? OE_SLICE(x->rbody.base, x->rbody.len) : OE_SLICE(NULL, 0));
        free(h);
    }
    uv_close((uv_handle_t *)&x->timer, on_call_closed);
}

/* Delivers result (a status or a failure) from x's own zero timer: for results found where a
 * callback must not run. x goes back to the pending list, where pump() skips it. */
static void fail_later(oe_http_call_t *x, int result)
{
    if (x->where != IN_PENDING) {
        call_detach(x);
        call_link(x, IN_PENDING);
    }
    x->result = result;
    uv_timer_start(&x->timer, on_call_timer, 0, 0);
}

/* A parser callback's verdict on x: recorded here, delivered by deliver() once the parser has
 * returned. The HTTP/2 stream forgets x at once, so later frames of it are ignored. */
static void finish(oe_http_call_t *x, int result)
{
    cconn_t *k = x->conn;
    if (x->where != IN_CALLS)
        return;
    call_unlink(x);
    if (k->h2 != NULL && x->stream > 0)
        nghttp2_session_set_stream_user_data(k->h2, x->stream, NULL);
    x->result = result;
    call_link(x, IN_FINISHED);
}

/* Runs the callbacks of the calls the parser finished. Each may close the connection (the rest
 * then wait for their zero timers, see cconn_close). */
static void deliver(cconn_t *k)
{
    while (!oe_list_empty(&k->finished) && !k->closing) {
        oe_http_call_t *x = call_of(k->finished.next);
        complete(x, x->result);
    }
}

/* Takes an unanswered call off its connection before a time-out or a cancel: an HTTP/2 stream is
 * reset; an HTTP/1.1 exchange cannot be abandoned midway, so its connection closes. */
static void abandon(oe_http_call_t *x)
{
    cconn_t *k = x->conn;
    if (k == NULL || x->where != IN_CALLS)
        return;
    call_detach(x);
    if (k->proto == 1) {
        cconn_close(k, OE_HTTPC_ETIMEOUT);
    } else if (k->h2 != NULL && x->stream > 0) {
        nghttp2_submit_rst_stream(k->h2, NGHTTP2_FLAG_NONE, x->stream, NGHTTP2_CANCEL);
        client_h2_send(k);
        cconn_flush(k);
    }
}

/* The request time-out, or the zero timer of fail_later(): clean up first, then call back. */
static void on_call_timer(uv_timer_t *t)
{
    oe_http_call_t *x = t->data;
    if (x->result != 0) {
        complete(x, x->result);
        return;
    }
    abandon(x);
    complete(x, OE_HTTPC_ETIMEOUT);
}

oe_http_call_t *oe_http_client_request(oe_http_client_t *c, const oe_http_request_t *r,
                                       oe_http_client_cb cb, void *data)
{
    oe_http_call_t *x = oe_calloc(1, sizeof(*x));
    x->c = c;
    x->cb = cb;
    x->data = data;
    x->host = oe_strdup(r->host);
    x->method = oe_strdup(r->method);
    x->path = oe_strdup(r->path);
    memcpy(&x->addr, r->addr,
           r->addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in));
    for (size_t i = 0; i < r->nheaders; i++) {
        oe_buf_append(&x->hdrs, r->headers[i].name.base, r->headers[i].name.len);
        oe_buf_append(&x->hdrs, "", 1);
        oe_buf_append(&x->hdrs, r->headers[i].value.base, r->headers[i].value.len);
        oe_buf_append(&x->hdrs, "", 1);
        x->nhdrs++;
    }
    x->body = r->body;
    uv_timer_init(c->loop, &x->timer);
    x->timer.data = x;
    c->ncalls++;
    call_link(x, IN_PENDING);
    if (c->closing) {
        fail_later(x, OE_HTTPC_ECONNECT);
        return x;
    }
    uv_timer_start(&x->timer, on_call_timer, c->conf.request_timeout_ms, 0);
    pump(c);
    return x;
}

void oe_http_client_cancel(oe_http_call_t *x)
{
    x->cb = NULL;
    abandon(x);
    complete(x, OE_HTTPC_ETIMEOUT);
}

/* ---- response headers shared by both protocols ----------------------------------------------- */

static void resp_header(oe_http_call_t *x, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
    if (x->rn == x->rcap) {
        x->rcap = x->rcap ? 2 * x->rcap : 16;
        x->roffs = oe_realloc(x->roffs, x->rcap * 4 * sizeof(*x->roffs));
    }
    size_t *o = &x->roffs[4 * x->rn++];
    o[0] = x->rraw.len;
    o[1] = nl;
    oe_buf_append(&x->rraw, n, nl);
    o[2] = x->rraw.len;
    o[3] = vl;
    oe_buf_append(&x->rraw, v, vl);
}

static int resp_body(oe_http_call_t *x, const uint8_t *p, size_t n)
{
    if (x->rbody.len + n > x->c->conf.max_response)
        return OE_HTTPC_ETOOBIG;
    oe_buf_append(&x->rbody, p, n);
    return 0;
}

/* ---- connections ------------------------------------------------------------------------------
 */

static void on_conn_closed(uv_handle_t *h)
{
    cconn_t *k = h->data;
    if (--k->handles > 0)
        return;
    oe_http_client_t *c = k->c;
    oe_list_remove(&k->link);
    if (k->h2 != NULL)
        nghttp2_session_del(k->h2);
    oe_tls_conn_free(k->tls);
    free(k->wbuf);
    free(k->host);
    free(k);
    maybe_free_client(c);
}

static void cconn_close(cconn_t *k, int err)
{
    if (k->closing)
        return;
    k->closing = true;
    if (err == 0)
        err = OE_HTTPC_EPROTO;
    /* No callback runs from here: callers may be inside oe_http_client_request or a parser.
     * Results the parser recorded are delivered as they are, the other calls fail. */
    while (!oe_list_empty(&k->finished)) {
        oe_http_call_t *x = call_of(k->finished.next);
        fail_later(x, x->result);
    }
    while (!oe_list_empty(&k->calls))
        fail_later(call_of(k->calls.next), err);
    /* Calls still pending for this destination fail too when the connection never came up
     * (fail_later leaves a pending call where it is). */
    if (k->proto == 0) {
        OE_LIST_FOREACH(it, &k->c->pending)
        {
            oe_http_call_t *x = call_of(it);
            if (same_dest(k, x) && x->result == 0)
                fail_later(x, err);
        }
    }
    uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&k->timer, on_conn_closed);
    pump(k->c);
}

static void on_conn_timer(uv_timer_t *t)
{
    cconn_t *k = t->data;
    cconn_close(k, k->proto == 0 ? OE_HTTPC_ETIMEOUT : OE_HTTPC_EPROTO);
}

static void on_written(uv_write_t *w, int status)
{
    cconn_t *k = w->data;
    k->writing = false;
    if (k->closing)
        return;
    if (status < 0) {
        cconn_close(k, OE_HTTPC_EPROTO);
        return;
    }
    if (k->h2 != NULL)
        client_h2_send(k);
    cconn_flush(k);
}

static void cconn_flush(cconn_t *k)
{
    if (k->writing || k->closing)
        return;
    oe_slice_t out = oe_tls_pending_out(k->tls);
    if (out.len == 0)
        return;
    if (k->wcap < out.len) {
        free(k->wbuf);
        k->wcap = OE_MAX(out.len, (size_t)16384);
        k->wbuf = oe_malloc(k->wcap);
    }
    memcpy(k->wbuf, out.base, out.len);
    k->wlen = out.len;
    oe_tls_consume_out(k->tls, out.len);
    uv_buf_t b = uv_buf_init((char *)k->wbuf, (unsigned)k->wlen);
    k->wreq.data = k;
    if (uv_write(&k->wreq, (uv_stream_t *)&k->tcp, &b, 1, on_written) < 0) {
        cconn_close(k, OE_HTTPC_EPROTO);
        return;
    }
    k->writing = true;
}

static int send_plain(cconn_t *k, const void *p, size_t n)
{
    if (oe_tls_write(k->tls, p, n) < 0) {
        cconn_close(k, OE_HTTPC_ETLS);
        return -1;
    }
    return 0;
}

/* ---- HTTP/2 ------------------------------------------------------------------------------------
 */

static int client_h2_on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                               size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                               void *user)
{
    oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (x == NULL || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        if (x->status == 0 || x->status < 200)
            x->status = st;
        return 0;
    }
    if (x->status >= 200) /* informational responses' headers are dropped */
        resp_header(x, name, namelen, value, valuelen);
    return 0;
}

static int client_h2_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                             size_t len, void *user)
{
    oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, id);
    if (x != NULL && resp_body(x, data, len) < 0) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        finish(x, OE_HTTPC_ETOOBIG);
    }
    return 0;
}

static int client_h2_on_close(nghttp2_session *s, int32_t id, uint32_t error, void *user)
{
    oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, id);
    /* Only END_STREAM completes a response: RST_STREAM(NO_ERROR) before it cuts the body short
     * (RFC 9113 §8.1 allows that code only after a complete response). */
    if (x != NULL)
        finish(x, error == NGHTTP2_NO_ERROR && x->ended && x->status >= 200 ? x->status
                                                                            : OE_HTTPC_EPROTO);
    return 0;
}

static int client_h2_on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    cconn_t *k = user;
    if (f->hd.type == NGHTTP2_GOAWAY)
        k->goaway = true;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (x != NULL)
            x->ended = true;
    }
    return 0;
}

static nghttp2_ssize client_h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                                         uint32_t *flags, nghttp2_data_source *src, void *user)
{
    oe_http_call_t *x = src->ptr;
    size_t n = OE_MIN(len, x->body.len - x->body_sent);
    memcpy(buf, x->body.base + x->body_sent, n);
    x->body_sent += n;
    if (x->body_sent == x->body.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (nghttp2_ssize)n;
}

static void client_h2_send(cconn_t *k)
{
    if (k->in_recv || k->closing)
        return;
    for (;;) {
        const uint8_t *data;
        nghttp2_ssize n = nghttp2_session_mem_send2(k->h2, &data);
        if (n < 0) {
            cconn_close(k, OE_HTTPC_EPROTO);
            return;
        }
        if (n == 0 || send_plain(k, data, (size_t)n) < 0)
            return;
    }
}

/* nghttp2 copies names and values at submit time (no NO_COPY flags): they may live on the stack. */
static nghttp2_nv nv(const char *name, size_t nl, const char *value, size_t vl)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nl, vl, NGHTTP2_NV_FLAG_NONE};
}

static void client_h2_submit(cconn_t *k, oe_http_call_t *x)
{
    char authority[300], length[24];
    unsigned port = oe_sockaddr_port((const struct sockaddr *)&x->addr);
    int alen = port == 443 ? snprintf(authority, sizeof(authority), "%s", x->host)
                           : snprintf(authority, sizeof(authority), "%s:%u", x->host, port);
    snprintf(length, sizeof(length), "%zu", x->body.len);
    nghttp2_nv *nva = oe_calloc(x->nhdrs + 5, sizeof(*nva));
    size_t n = 0;
    nva[n++] = nv(":method", 7, x->method, strlen(x->method));
    nva[n++] = nv(":scheme", 7, "https", 5);
    nva[n++] = nv(":authority", 10, authority, (size_t)alen);
    nva[n++] = nv(":path", 5, x->path, strlen(x->path));
    if (x->body.len > 0)
        nva[n++] = nv("content-length", 14, length, strlen(length));
    const char *p = (const char *)x->hdrs.base;
    for (size_t i = 0; i < x->nhdrs; i++) {
        const char *name = p, *value = p + strlen(p) + 1;
        p = value + strlen(value) + 1;
        nva[n++] = nv(name, strlen(name), value, strlen(value));
    }
    nghttp2_data_provider2 prd = {.source.ptr = x, .read_callback = client_h2_read_body};
    int32_t id = nghttp2_submit_request2(k->h2, NULL, nva, n, x->body.len ? &prd : NULL, x);
    free(nva);
    if (id < 0) {
        fail_later(x, OE_HTTPC_EPROTO);
        return;
    }
    call_assign(x, k);
    x->stream = id;
}

static int client_h2_start(cconn_t *k)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_header_callback(cb, client_h2_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, client_h2_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, client_h2_on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, client_h2_on_frame);
    int rc = nghttp2_session_client_new(&k->h2, cb, k);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0)
        return -1;
    nghttp2_settings_entry s[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                  {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(k->h2, NGHTTP2_FLAG_NONE, s, OE_ARRAY_SIZE(s));
    k->proto = 2;
    return 0;
}

/* ---- HTTP/1.1 ----------------------------------------------------------------------------------
 */

static oe_http_call_t *client_h1_call(llhttp_t *p)
{
    cconn_t *k = p->data;
    return oe_list_empty(&k->calls) ? NULL : call_of(k->calls.next);
}

static int client_h1_on_field(llhttp_t *p, const char *at, size_t len)
{
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    if (x->rlast != 1) {
        resp_header(x, (const uint8_t *)"", 0, (const uint8_t *)"", 0);
        x->roffs[4 * (x->rn - 1)] = x->rraw.len;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = at[i] >= 'A' && at[i] <= 'Z' ? (char)(at[i] + 32) : at[i];
        oe_buf_append(&x->rraw, &ch, 1);
    }
    x->roffs[4 * (x->rn - 1) + 1] += len;
    x->rlast = 1;
    return 0;
}

static int client_h1_on_value(llhttp_t *p, const char *at, size_t len)
{
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    if (x->rlast != 2)
        x->roffs[4 * (x->rn - 1) + 2] = x->rraw.len;
    oe_buf_append(&x->rraw, at, len);
    x->roffs[4 * (x->rn - 1) + 3] += len;
    x->rlast = 2;
    return 0;
}

static int client_h1_on_headers(llhttp_t *p)
{
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    x->status = p->status_code;
    return 0;
}

static int client_h1_on_body(llhttp_t *p, const char *at, size_t len)
{
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    int rc = resp_body(x, (const uint8_t *)at, len);
    if (rc < 0)
        finish(x, rc); /* delivered as it is when the connection closes */
    return rc < 0 ? -1 : 0;
}

static int client_h1_on_complete(llhttp_t *p)
{
    cconn_t *k = p->data;
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    if (x->status < 200) { /* 1xx: the real response follows */
        x->rn = 0;
        x->rraw.len = 0;
        return 0;
    }
    if (!llhttp_should_keep_alive(p))
        k->goaway = true;
    finish(x, x->status); /* delivered by plaintext() once llhttp_execute has returned */
    return HPE_PAUSED;
}

static void client_h1_submit(cconn_t *k, oe_http_call_t *x)
{
    call_assign(x, k);
    unsigned port = oe_sockaddr_port((const struct sockaddr *)&x->addr);
    oe_buf_t b = {0};
    oe_buf_printf(&b, "%s %s HTTP/1.1\r\nhost: %s", x->method, x->path, x->host);
    if (port != 443)
        oe_buf_printf(&b, ":%u", port);
    oe_buf_printf(&b, "\r\ncontent-length: %zu\r\n", x->body.len);
    const char *p = (const char *)x->hdrs.base;
    for (size_t i = 0; i < x->nhdrs; i++) {
        const char *name = p, *value = p + strlen(p) + 1;
        p = value + strlen(value) + 1;
        oe_buf_printf(&b, "%s: %s\r\n", name, value);
    }
    oe_buf_append(&b, "\r\n", 2);
    oe_buf_append(&b, x->body.base, x->body.len);
    llhttp_init(&k->parser, HTTP_RESPONSE, &client_h1_settings);
    k->parser.data = k;
    send_plain(k, b.base, b.len);
    oe_buf_free(&b);
}

/* ---- reading -----------------------------------------------------------------------------------
 */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static __thread char rbuf[65536];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

static int plaintext(cconn_t *k, const uint8_t *p, size_t n)
{
    if (k->proto == 2) {
        k->in_recv = true;
        nghttp2_ssize rc = nghttp2_session_mem_recv2(k->h2, p, n);
        k->in_recv = false;
        if (rc < 0)
            return OE_HTTPC_EPROTO;
        deliver(k);
        if (k->closing)
            return 0;
        client_h2_send(k);
        if (k->goaway && oe_list_empty(&k->calls))
            return OE_HTTPC_EPROTO;
        return 0;
    }
    if (oe_list_empty(&k->calls))
        return OE_HTTPC_EPROTO; /* bytes nobody asked for */
    llhttp_errno_t e = llhttp_execute(&k->parser, (const char *)p, n);
    if (e != HPE_PAUSED)
        return e == HPE_OK ? 0 : OE_HTTPC_EPROTO;
    /* A whole response: the parser stopped after it. Bytes behind it answer nothing we asked,
     * so this connection takes no further request; the next request re-initialises the parser. */
    const char *stop = llhttp_get_error_pos(&k->parser);
    if (stop != NULL && stop < (const char *)p + n)
        k->goaway = true;
    llhttp_resume(&k->parser);
    deliver(k);
    if (k->closing)
        return 0;
    if (k->goaway && oe_list_empty(&k->calls))
        return OE_HTTPC_EPROTO; /* closes without failing anything */
    pump(k->c);
    return 0;
}

/* The server sent close_notify: a response delimited by the end of the connection is complete
 * now (RFC 9112 §6.3). A TCP end without close_notify may be a truncation (§9.8): not complete. */
static void client_h1_eof(cconn_t *k)
{
    if (k->proto == 1 && !oe_list_empty(&k->calls) && llhttp_finish(&k->parser) == HPE_PAUSED) {
        k->goaway = true;
        deliver(k);
    }
}

static void on_handshake(cconn_t *k)
{
    const char *alpn = oe_tls_alpn(k->tls);
    if (alpn != NULL && strcmp(alpn, "h2") == 0) {
        if (client_h2_start(k) < 0) {
            cconn_close(k, OE_HTTPC_EPROTO);
            return;
        }
    } else {
        k->proto = 1;
    }
    uv_timer_stop(&k->timer);
    pump(k->c);
    if (!k->closing && k->h2 != NULL)
        client_h2_send(k);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    cconn_t *k = s->data;
    if (nread == 0 || k->closing)
        return;
    if (nread < 0) {
        cconn_close(k, k->proto == 0 ? OE_HTTPC_ETLS : OE_HTTPC_EPROTO);
        return;
    }
    if (oe_tls_feed(k->tls, (const uint8_t *)buf->base, (size_t)nread) < 0) {
        cconn_close(k, OE_HTTPC_EPROTO);
        return;
    }
    if (k->proto == 0) {
        int rc = oe_tls_handshake(k->tls);
        if (rc == OE_TLS_WANT_IO) {
            cconn_flush(k);
            return;
        }
        if (rc < 0) {
            char why[256];
            oe_tls_conn_strerror(k->tls, why, sizeof(why));
            oe_log_warn(TAG, "TLS with %s failed: %s", k->host, why);
            cconn_close(k, OE_HTTPC_ETLS);
            return;
        }
        on_handshake(k);
        if (k->closing)
            return;
    }
    static __thread uint8_t pbuf[65536];
    for (;;) {
        ssize_t r = oe_tls_read(k->tls, pbuf, sizeof(pbuf));
        session_save(k->c, k);
        if (r == OE_TLS_WANT_IO)
            break;
        if (r == 0 || r == OE_TLS_ECLOSED)
            client_h1_eof(k);
        if (r <= 0 || plaintext(k, pbuf, (size_t)r) < 0) {
            cconn_close(k, OE_HTTPC_EPROTO);
            return;
        }
        if (k->closing)
            return;
    }
    cconn_flush(k);
}

/* The client's error for a failed connect: an address with no route is not a refusal. */
static int connect_error(int uv_err)
{
    switch (uv_err) {
    case UV_ETIMEDOUT:
        return OE_HTTPC_ETIMEOUT;
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
    case UV_EADDRNOTAVAIL:
    case UV_EAFNOSUPPORT:
        return OE_HTTPC_EUNREACH;
    default:
        return OE_HTTPC_ECONNECT;
    }
}

static void on_connected(uv_connect_t *req, int status)
{
    cconn_t *k = req->data;
    if (k->closing)
        return;
    if (status < 0) {
        cconn_close(k, connect_error(status));
        return;
    }
    uv_tcp_nodelay(&k->tcp, 1);
    uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
    oe_tls_handshake(k->tls); /* ClientHello */
    cconn_flush(k);
}

static void cconn_open(oe_http_client_t *c, oe_http_call_t *x)
{
    cconn_t *k = oe_calloc(1, sizeof(*k));
    k->c = c;
    k->host = oe_strdup(x->host);
    k->addr = x->addr;
    k->tls = oe_tls_conn_new_client(c->conf.tls, x->host);
    if (k->tls != NULL)
        session_offer(c, k);
    uv_tcp_init(c->loop, &k->tcp);
    uv_timer_init(c->loop, &k->timer);
    k->tcp.data = k->timer.data = k->connect.data = k;
    k->handles = 2;
    oe_list_init(&k->calls);
    oe_list_init(&k->finished);
    oe_list_insert_head(&c->conns, &k->link);
    uv_timer_start(&k->timer, on_conn_timer, c->conf.connect_timeout_ms, 0);
    int rc = k->tls == NULL
                 ? UV_ENOMEM
                 : uv_tcp_connect(&k->connect, &k->tcp, (struct sockaddr *)&k->addr, on_connected);
    if (rc < 0) {
        /* Fail the waiting calls later: callbacks never run inside oe_http_client_request. */
        k->closing = true;
        OE_LIST_FOREACH(it, &c->pending)
        {
            oe_http_call_t *p = call_of(it);
            if (same_dest(k, p) && p->result == 0)
                fail_later(p, connect_error(rc));
        }
        uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
        uv_close((uv_handle_t *)&k->timer, on_conn_closed);
    }
}

static void pump_once(oe_http_client_t *c);

/* Gives each pending call a connection that can take it, opening connections as needed. */
static void pump(oe_http_client_t *c)
{
    if (c->closing)
        return;
    /* Submitting can close a connection, whose cconn_close() pumps again: that nested call only
     * asks this one for another pass, so the walk below never follows a call moved elsewhere. */
    if (c->pumping) {
        c->pump_again = true;
        return;
    }
    c->pumping = true;
    do {
        c->pump_again = false;
        pump_once(c);
    } while (c->pump_again && !c->closing);
    c->pumping = false;
}

static void pump_once(oe_http_client_t *c)
{
    /* next is saved first: x moves to a connection's list, the others stay pending. */
    for (oe_list_t *it = c->pending.next, *next; it != &c->pending; it = next) {
        next = it->next;
        oe_http_call_t *x = call_of(it);
        if (x->result != 0 || x->done)
            continue;
        cconn_t *ready = NULL;
        bool connecting = false;
        unsigned h1 = 0;
        OE_LIST_FOREACH(kt, &c->conns)
        {
            cconn_t *k = conn_of(kt);
            if (k->closing || k->goaway || !same_dest(k, x))
                continue;
            if (k->proto == 0)
                connecting = true;
            else if (k->proto == 2)
                ready = k;
            else if (++h1, oe_list_empty(&k->calls))
                ready = ready ? ready : k;
        }
        if (ready != NULL) {
            if (ready->proto == 2) {
                client_h2_submit(ready, x);
                client_h2_send(ready);
            } else {
                client_h1_submit(ready, x);
            }
            cconn_flush(ready);
        } else if (!connecting && h1 < c->conf.max_h1_conns) {
            cconn_open(c, x);
        }
    }
}

void oe_http_client_close(oe_http_client_t *c)
{
    c->closing = true;
    OE_LIST_FOREACH(it, &c->conns) /* closing unlinks nothing: on_conn_closed does, later */
    cconn_close(conn_of(it), OE_HTTPC_ECONNECT); /* its calls go back to the pending list */
    while (!oe_list_empty(&c->pending)) {
        oe_http_call_t *x = call_of(c->pending.next);
        x->cb = NULL;
        complete(x, OE_HTTPC_ECONNECT);
    }
    maybe_free_client(c);
}

static const char *client_strerror(int err)
{
    switch (err) {
    case OE_HTTPC_ECONNECT:
        return "cannot connect";
    case OE_HTTPC_EUNREACH:
        return "no route to the address";
    case OE_HTTPC_ETLS:
        return "TLS handshake or certificate verification failed";
    case OE_HTTPC_EPROTO:
        return "HTTP protocol error or connection reset";
    case OE_HTTPC_ETIMEOUT:
        return "timed out";
    case OE_HTTPC_ETOOBIG:
        return "response too large";
    default:
        return "HTTP client error";
    }
}

__attribute__((constructor)) static void setup_h1(void)
{
    oe_strerror_register(400, 499, client_strerror);
    llhttp_settings_init(&client_h1_settings);
    client_h1_settings.on_header_field = client_h1_on_field;
    client_h1_settings.on_header_value = client_h1_on_value;
    client_h1_settings.on_headers_complete = client_h1_on_headers;
    client_h1_settings.on_body = client_h1_on_body;
    client_h1_settings.on_message_complete = client_h1_on_complete;
}
