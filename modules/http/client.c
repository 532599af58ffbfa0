/*
 * The outbound HTTPS client (see client.h). Calls wait in one pending list until a connection to
 * their destination can take them: an HTTP/2 connection takes any number (nghttp2 queues beyond
 * the server's stream limit), an HTTP/1.1 connection one at a time. A connection is opened when
 * a pending call finds none connecting to its destination; ALPN decides the protocol.
 */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/list.h"
#include "core/log.h"
#include "core/net.h"
#include "http/client_int.h"
#include "tls/tls.h"

#define IDLE_MS 30000

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
    /* oe_http__client_pump() is on the stack: run it again instead of nesting */
    bool pumping, pump_again;
};

static void on_conn_timer(uv_timer_t *t);
static void on_call_timer(uv_timer_t *t);
static void cconn_flush(cconn_t *k);

/* ---- lists ------------------------------------------------------------------------------------
 */

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
void oe_http__client_call_assign(oe_http_call_t *x, cconn_t *k)
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
 * callback must not run. x goes back to the pending list, where oe_http__client_pump() skips it. */
void oe_http__client_fail_later(oe_http_call_t *x, int result)
{
    if (x->where != IN_PENDING) {
        call_detach(x);
        call_link(x, IN_PENDING);
    }
    x->result = result;
    uv_timer_start(&x->timer, on_call_timer, 0, 0);
}

/* A parser callback's verdict on x: recorded here, delivered by oe_http__client_deliver() once the
 * parser has returned. The HTTP/2 stream forgets x at once, so later frames of it are ignored. */
void oe_http__client_finish(oe_http_call_t *x, int result)
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
 * then wait for their zero timers, see oe_http__client_conn_close). */
void oe_http__client_deliver(cconn_t *k)
{
    while (!oe_list_empty(&k->finished) && !k->closing) {
        oe_http_call_t *x = oe_http__client_call_of(k->finished.next);
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
        oe_http__client_conn_close(k, OE_HTTPC_ETIMEOUT);
    } else if (k->h2 != NULL && x->stream > 0) {
        nghttp2_submit_rst_stream(k->h2, NGHTTP2_FLAG_NONE, x->stream, NGHTTP2_CANCEL);
        oe_http__client_h2_send(k);
        cconn_flush(k);
    }
}

/* The request time-out, or the zero timer of oe_http__client_fail_later(): clean up first, then
 * call back. */
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
        oe_http__client_fail_later(x, OE_HTTPC_ECONNECT);
        return x;
    }
    uv_timer_start(&x->timer, on_call_timer, c->conf.request_timeout_ms, 0);
    oe_http__client_pump(c);
    return x;
}

void oe_http_client_cancel(oe_http_call_t *x)
{
    x->cb = NULL;
    abandon(x);
    complete(x, OE_HTTPC_ETIMEOUT);
}

/* ---- response headers shared by both protocols ----------------------------------------------- */

void oe_http__client_resp_header(oe_http_call_t *x, const uint8_t *n, size_t nl, const uint8_t *v,
                                 size_t vl)
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

int oe_http__client_resp_body(oe_http_call_t *x, const uint8_t *p, size_t n)
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

void oe_http__client_conn_close(cconn_t *k, int err)
{
    if (k->closing)
        return;
    k->closing = true;
    if (err == 0)
        err = OE_HTTPC_EPROTO;
    /* No callback runs from here: callers may be inside oe_http_client_request or a parser.
     * Results the parser recorded are delivered as they are, the other calls fail. */
    while (!oe_list_empty(&k->finished)) {
        oe_http_call_t *x = oe_http__client_call_of(k->finished.next);
        oe_http__client_fail_later(x, x->result);
    }
    while (!oe_list_empty(&k->calls))
        oe_http__client_fail_later(oe_http__client_call_of(k->calls.next), err);
    /* Calls still pending for this destination fail too when the connection never came up
     * (oe_http__client_fail_later leaves a pending call where it is). */
    if (k->proto == 0) {
        OE_LIST_FOREACH(it, &k->c->pending)
        {
            oe_http_call_t *x = oe_http__client_call_of(it);
            if (same_dest(k, x) && x->result == 0)
                oe_http__client_fail_later(x, err);
        }
    }
    uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&k->timer, on_conn_closed);
    oe_http__client_pump(k->c);
}

static void on_conn_timer(uv_timer_t *t)
{
    cconn_t *k = t->data;
    oe_http__client_conn_close(k, k->proto == 0 ? OE_HTTPC_ETIMEOUT : OE_HTTPC_EPROTO);
}

static void on_written(uv_write_t *w, int status)
{
    cconn_t *k = w->data;
    k->writing = false;
    if (k->closing)
        return;
    if (status < 0) {
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
        return;
    }
    if (k->h2 != NULL)
        oe_http__client_h2_send(k);
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
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
        return;
    }
    k->writing = true;
}

int oe_http__client_send_plain(cconn_t *k, const void *p, size_t n)
{
    if (oe_tls_write(k->tls, p, n) < 0) {
        oe_http__client_conn_close(k, OE_HTTPC_ETLS);
        return -1;
    }
    return 0;
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
    if (k->proto == 2)
        return oe_http__client_h2_input(k, p, n);
    return oe_http__client_h1_input(k, p, n);
}

static void on_handshake(cconn_t *k)
{
    const char *alpn = oe_tls_alpn(k->tls);
    if (alpn != NULL && strcmp(alpn, "h2") == 0) {
        if (oe_http__client_h2_start(k) < 0) {
            oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
            return;
        }
    } else {
        k->proto = 1;
    }
    uv_timer_stop(&k->timer);
    oe_http__client_pump(k->c);
    if (!k->closing && k->h2 != NULL)
        oe_http__client_h2_send(k);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    cconn_t *k = s->data;
    if (nread == 0 || k->closing)
        return;
    if (nread < 0) {
        oe_http__client_conn_close(k, k->proto == 0 ? OE_HTTPC_ETLS : OE_HTTPC_EPROTO);
        return;
    }
    if (oe_tls_feed(k->tls, (const uint8_t *)buf->base, (size_t)nread) < 0) {
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
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
            oe_http__client_conn_close(k, OE_HTTPC_ETLS);
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
            oe_http__client_h1_eof(k);
        if (r <= 0 || plaintext(k, pbuf, (size_t)r) < 0) {
            oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
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
        oe_http__client_conn_close(k, connect_error(status));
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
            oe_http_call_t *p = oe_http__client_call_of(it);
            if (same_dest(k, p) && p->result == 0)
                oe_http__client_fail_later(p, connect_error(rc));
        }
        uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
        uv_close((uv_handle_t *)&k->timer, on_conn_closed);
    }
}

static void pump_once(oe_http_client_t *c);

/* Gives each pending call a connection that can take it, opening connections as needed. */
void oe_http__client_pump(oe_http_client_t *c)
{
    if (c->closing)
        return;
    /* Submitting can close a connection, whose oe_http__client_conn_close() pumps again: that
     * nested call only asks this one for another pass, so the walk below never follows a call moved
     * elsewhere. */
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
        oe_http_call_t *x = oe_http__client_call_of(it);
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
                oe_http__client_h2_submit(ready, x);
                oe_http__client_h2_send(ready);
            } else {
                oe_http__client_h1_submit(ready, x);
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
    oe_http__client_conn_close(conn_of(it),
                               OE_HTTPC_ECONNECT); /* its calls go back to the pending list */
    while (!oe_list_empty(&c->pending)) {
        oe_http_call_t *x = oe_http__client_call_of(c->pending.next);
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

__attribute__((constructor)) static void setup(void)
{
    oe_strerror_register(400, 499, client_strerror);
}
