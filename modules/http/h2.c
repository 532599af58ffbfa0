/*
 * HTTP/2 with nghttp2, driven through mem_recv2/mem_send2 over the TLS engine. nghttp2 checks
 * the framing and HTTP messaging rules; we add the request limits, dispatch each stream when its
 * request is complete, and stream responses through a data provider that stops when the output
 * queue is full (back-pressure), resuming from conn.c's drain notification.
 * The library's protections against rapid reset (RST_STREAM rate limit) and CONTINUATION floods
 * are set explicitly below, so an upgrade of nghttp2 cannot silently change them.
 */
#include <malloc.h> /* malloc_usable_size: glibc and musl */
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/stats.h"
#include "core/log.h"
#include "http/http_int.h"

typedef struct h2_stream {
    stream_t s; /* first: an oe_req_t pointer is an h2_stream_t pointer */
    int32_t id;
    oe_buf_t raw; /* header names and values */
    size_t *offs; /* name, name_len, value, value_len per header */
    size_t nh, hcap, header_bytes;
    oe_header_t *headers;
    size_t headers_cap;
    oe_slice_t method, path, authority, scheme; /* offsets resolved at dispatch */
    size_t pm[2], pp[2], pa[2], ps[2], pr[2];   /* pseudo-header offset, length */
    oe_buf_t body;
    int error_status;
    bool dispatched;
    bool headers_done;     /* the header block ended (END_HEADERS) */
    bool refused;          /* RST_STREAM(REFUSED_STREAM) sent: the connection's body cap */
    bool reset;            /* RST_STREAM(NO_ERROR) submitted after an early response */
    bool deferred;         /* streamed response: the data provider waits for the handler */
    bool want_writable;    /* streamed response: the handler waits for room */
    uint64_t linger_at;    /* the response ended while the request was still open (0: no) */
    uint64_t linger_bytes; /* request body bytes dropped since */
    uint64_t begun_at;     /* loop times (ms): HEADERS began, last body bytes, response submitted */
    uint64_t body_at, submit_at;
    struct h2_stream *prev, *next;
} h2_stream_t;

/* Closing a connection gracefully (RFC 9113 §6.8): a first GOAWAY with the largest stream id
 * and a PING; streams the client opened before it saw that are still served; after the PING's
 * acknowledgement (or OE_HTTP_GOAWAY_RTT_MS) the final GOAWAY names the last stream we took; the
 * connection closes when those are done. */
enum { H2_OPEN, H2_NOTICE, H2_FINAL };

static const uint8_t drain_ping[8] = {'o', 'e', '-', 'd', 'r', 'a', 'i', 'n'};

/* nghttp2 blocks mapped on their own (see ng_malloc): from this size, at most this many. */
#define NG_BIG  8192
#define NG_MAPS 4

struct h2 {
    nghttp2_session *session;
    conn_t *c;
    h2_stream_t *streams;
    h2_stream_t *last;  /* stream_of()'s last answer, or NULL */
    bool in_recv;       /* inside mem_recv2: sending must wait until it returns */
    bool expired;       /* a deadline passed: GOAWAY is out, the connection closes soon */
    size_t body_bytes;  /* request body bytes held by all streams */
    uint64_t active_at; /* loop time of the last request activity (not PINGs or SETTINGS) */
    uint64_t sent_at;   /* loop time the peer last took response bytes */
    uint64_t sock_sent; /* oe_http__conn_sent() when sent_at was last updated from the socket */
    uint64_t due;       /* when the timer fires (0 = not armed) */
    uint64_t notice_at; /* loop time of the first GOAWAY (phase H2_NOTICE) */
    int phase;          /* H2_OPEN, H2_NOTICE, H2_FINAL */
    nghttp2_mem mem;    /* ng_malloc & co. with this struct as their user data */
    bool creating;      /* inside nghttp2_session_server_new3: see ng_malloc */
    struct ng_big {
        void *p; /* a mapping of its own; NULL = free slot */
        size_t size;
    } big[NG_MAPS];
};

/* A full output queue that the socket drains counts as progress for the send deadline; below
 * this size the queue may hold only PING and SETTINGS acknowledgements, which a peer can elicit
 * at will while it keeps every stream window closed. */
#define SOCKET_PROGRESS_MIN 16384

static void goaway_final(struct h2 *h);

static void h2_send(conn_t *c);
static void send_now(struct h2 *h);

/* A streamed response body buffered per stream, at most (then oe_resp_stream_room says no). */
#define STREAM_BUF_HIGH (256 * 1024)

static uint64_t now_ms(const struct h2 *h)
{
    return uv_now(&h->c->w->loop);
}

/* Freed streams wait in a list per worker, with their header buffers, for the next request:
 * a request then costs no allocation of its own for them (it was seven, malloc and free 9% of
 * the CPU of an HTTP/2 request for a small file). At most SPARE_MAX, and buffers up to
 * SPARE_BUF; freed when the worker idles (conn.c: on_trim) or ends. */
#define SPARE_MAX 64
#define SPARE_BUF 4096

/* Frees a stream released by stream_free and the header buffers it kept. */
static void stream_destroy(h2_stream_t *st)
{
    oe_buf_free(&st->s.hbuf);
    oe_buf_free(&st->raw);
    free(st->offs);
    free(st->headers);
    free(st);
}

void oe_http__h2_spares_free(worker_t *w)
{
    while (w->h2_spare != NULL) {
        h2_stream_t *st = w->h2_spare;
        w->h2_spare = st->next;
        stream_destroy(st);
    }
    w->h2_nspare = 0;
}

static h2_stream_t *stream_new(struct h2 *h, int32_t id)
{
    worker_t *w = h->c->w;
    h2_stream_t *st = w->h2_spare;
    if (st != NULL) { /* clean, but for the buffers it keeps */
        w->h2_spare = st->next;
        w->h2_nspare--;
        h2_stream_t kept = *st;
        memset(st, 0, sizeof(*st));
        st->raw = (oe_buf_t){.base = kept.raw.base, .cap = kept.raw.cap};
        st->offs = kept.offs;
        st->hcap = kept.hcap;
        st->headers = kept.headers;
        st->headers_cap = kept.headers_cap;
        oe_http__stream_init(&st->s, &oe_http__h2, h->c);
        st->s.hbuf = (oe_buf_t){.base = kept.s.hbuf.base, .cap = kept.s.hbuf.cap};
    } else {
        st = calloc(1, sizeof(*st));
        if (st == NULL)
            return NULL;
        oe_http__stream_init(&st->s, &oe_http__h2, h->c);
    }
    st->id = id;
    st->begun_at = st->body_at = h->active_at = now_ms(h);
    st->next = h->streams;
    if (h->streams != NULL)
        h->streams->prev = st;
    h->streams = st;
    return st;
}

/* The stream of id, or NULL: nghttp2's map, with the last answer remembered (the callbacks of
 * one request's header block ask for the same stream once per field). */
static h2_stream_t *stream_of(struct h2 *h, int32_t id)
{
    if (h->last != NULL && h->last->id == id)
        return h->last;
    h2_stream_t *st = nghttp2_session_get_stream_user_data(h->session, id);
    if (st != NULL)
        h->last = st;
    return st;
}

static void stream_free(struct h2 *h, h2_stream_t *st)
{
    if (h->last == st)
        h->last = NULL;
    if (st->prev != NULL)
        st->prev->next = st->next;
    else
        h->streams = st->next;
    if (st->next != NULL)
        st->next->prev = st->prev;
    h->body_bytes -= st->body.len;
    h->active_at = now_ms(h);
    oe_http__stream_abort(&st->s);
    oe_buf_t hbuf = st->s.hbuf;
    st->s.hbuf = (oe_buf_t){0};
    oe_http__stream_release(&st->s);
    st->s.hbuf = hbuf;
    oe_buf_free(&st->body);
    worker_t *w = h->c->w;
    if (w->h2_nspare < SPARE_MAX && hbuf.cap <= SPARE_BUF && st->raw.cap <= SPARE_BUF &&
        st->hcap * 4 * sizeof(*st->offs) <= SPARE_BUF &&
        st->headers_cap * sizeof(*st->headers) <= SPARE_BUF) {
        st->next = w->h2_spare;
        w->h2_spare = st;
        w->h2_nspare++;
        return;
    }
    stream_destroy(st);
}

/* ---- receiving ------------------------------------------------------------------------------ */

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct h2 *h = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2_stream_t *st = stream_new(h, frame->hd.stream_id);
    if (st == NULL)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, st);
    return 0;
}

static void keep(h2_stream_t *st, size_t *slot, const uint8_t *v, size_t len)
{
    slot[0] = st->raw.len;
    slot[1] = len;
    oe_buf_append(&st->raw, v, len);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    struct h2 *h = user;
    h2_stream_t *st = stream_of(h, frame->hd.stream_id);
    if (st == NULL || frame->hd.type != NGHTTP2_HEADERS || st->error_status || st->dispatched)
        return 0; /* trailers of a streamed request are dropped (RFC 9110 §6.5.1) */
    const oe_listen_conf_t *lim = h->c->l->conf;
    st->header_bytes += namelen + valuelen;
    if (st->header_bytes > lim->max_header_size || st->nh >= (size_t)lim->max_headers) {
        st->error_status = 431;
        return 0;
    }
    if (namelen > 0 && name[0] == ':') {
        oe_slice_t n = OE_SLICE(name, namelen);
        if (oe_slice_eq(n, OE_SLICE_STR(":method")))
            keep(st, st->pm, value, valuelen);
        else if (oe_slice_eq(n, OE_SLICE_STR(":path"))) {
            if (valuelen > lim->max_url_size) {
                st->error_status = 414;
                return 0;
            }
            keep(st, st->pp, value, valuelen);
        } else if (oe_slice_eq(n, OE_SLICE_STR(":authority")))
            keep(st, st->pa, value, valuelen);
        else if (oe_slice_eq(n, OE_SLICE_STR(":scheme")))
            keep(st, st->ps, value, valuelen);
        else if (oe_slice_eq(n, OE_SLICE_STR(":protocol"))) /* RFC 8441 §4 */
            keep(st, st->pr, value, valuelen);
        return 0;
    }
    if (st->nh == st->hcap) {
        st->hcap = st->hcap ? st->hcap * 2 : 16;
        st->offs = oe_realloc(st->offs, st->hcap * 4 * sizeof(*st->offs));
    }
    size_t *o = &st->offs[st->nh++ * 4];
    keep(st, o, name, namelen);
    keep(st, o + 2, value, valuelen);
    return 0;
}

/* RST_STREAM NO_ERROR: the response is complete, the client may stop sending (RFC 9113 §8.1). */
static void stop_request(struct h2 *h, h2_stream_t *st)
{
    st->reset = true;
    nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user)
{
    struct h2 *h = user;
    h2_stream_t *st = stream_of(h, stream_id);
    /* Flow control (automatic WINDOW_UPDATE is off): a streamed body gives the connection's
     * window back at once, and the stream's only as its handler acknowledges bytes
     * (oe_req_body_ack), so one slow consumer holds at most its own stream window; every other
     * byte is taken now. */
    if (st != NULL && st->s.req.body_stream && st->linger_at == 0 && !st->reset) {
        nghttp2_session_consume_connection(session, len);
        if (st->s.ended || st->s.aborted || st->s.req.on_body == NULL) {
            nghttp2_session_consume_stream(session, stream_id, len);
            return 0;
        }
        st->body_at = now_ms(h);
        st->s.req.on_body(&st->s.req, data, len, false);
        return 0;
    }
    nghttp2_session_consume(session, stream_id, len);
    if (st != NULL && st->linger_at != 0 && !st->reset) {
        st->linger_bytes += len;
        st->body_at = now_ms(h);
        if (st->linger_bytes > OE_HTTP_LINGER_BYTES)
            stop_request(h, st);
        return 0;
    }
    if (st == NULL || st->error_status || st->refused)
        return 0;
    const oe_listen_conf_t *lim = h->c->l->conf;
    st->body_at = now_ms(h);
    if (st->body.len + len > lim->max_body_size) {
        st->error_status = 413; /* answered when this DATA frame ends (on_frame_recv) */
        h->body_bytes -= st->body.len;
        oe_buf_free(&st->body);
        return 0;
    }
    /* All streams together hold at most max-buffered-body (and always room for one whole
     * body): beyond it the stream is refused unprocessed, and the client may retry it. */
    if (h->body_bytes + len > OE_MAX(lim->max_buffered_body, lim->max_body_size)) {
        st->refused = true;
        h->body_bytes -= st->body.len;
        oe_buf_free(&st->body);
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    oe_buf_append(&st->body, data, len);
    h->body_bytes += len;
    return 0;
}

static oe_slice_t at(const h2_stream_t *st, const size_t *slot)
{
    return OE_SLICE(st->raw.base + slot[0], slot[1]);
}

static void dispatch(struct h2 *h, h2_stream_t *st)
{
    oe_req_t *req = &st->s.req;
    st->dispatched = true;
    req->version = 20;
    req->method = at(st, st->pm);
    if (st->headers_cap < OE_MAX(st->nh, (size_t)1)) { /* none yet, or too few kept */
        free(st->headers);
        st->headers_cap = st->nh ? st->nh : 1;
        st->headers = oe_calloc(st->headers_cap, sizeof(*st->headers));
    }
    oe_slice_t host = at(st, st->pa);
    for (size_t i = 0; i < st->nh; i++) {
        st->headers[i].name = at(st, &st->offs[i * 4]);
        st->headers[i].value = at(st, &st->offs[i * 4 + 2]);
        if (host.len == 0 && oe_slice_eq(st->headers[i].name, OE_SLICE_STR("host")))
            host = st->headers[i].value;
    }
    req->headers = st->headers;
    req->nheaders = st->nh;
    req->body = OE_SLICE(st->body.base, st->body.len);
    /* Extended CONNECT (RFC 8441): nghttp2 allows :protocol only on CONNECT, with :scheme and
     * :path; a tunnel to a streaming route, like an HTTP/1.1 Upgrade. */
    if (req->body_stream && st->pr[1] == 9 &&
        oe_slice_eq(at(st, st->pr), OE_SLICE_STR("websocket")))
        req->upgrade = OE_SLICE_STR("websocket");
    if (req->body_stream) {
        req->body_length = -1;
        oe_slice_t cl = oe_req_header(req, "content-length"); /* digits: nghttp2 checked */
        if (cl.base != NULL && cl.len <= 18) {
            req->body_length = 0;
            for (size_t i = 0; i < cl.len; i++)
                req->body_length = req->body_length * 10 + (cl.base[i] - '0');
        }
    }
    oe_slice_t path = at(st, st->pp);
    const uint8_t *q = path.len ? memchr(path.base, '?', path.len) : NULL;
    req->path = q ? OE_SLICE(path.base, (size_t)(q - path.base)) : path;
    req->query = q ? OE_SLICE(q + 1, (size_t)(path.base + path.len - q - 1)) : OE_SLICE("", 0);
    if (st->error_status) {
        st->s.handled = true;
        oe_resp_header(req, "cache-control", "no-cache, no-store");
        oe_resp_error(req, st->error_status);
        return;
    }
    bool asterisk = req->path.len == 1 && req->path.base[0] == '*'; /* OPTIONS * (§8.3.1) */
    if (req->path.len == 0 || (req->path.base[0] != '/' && !asterisk) ||
        !oe_http__parse_authority(host, st->s.authority, sizeof(st->s.authority),
                                  &req->authority)) {
        st->s.handled = true;
        oe_resp_error(req, 400);
        return;
    }
    oe_http__dispatch(h->c, &st->s);
}

/* Does the request declare a content-length above max-body-size? nghttp2 has checked that the
 * field is digits and that DATA will match it (RFC 9113 §8.1.1). */
static bool declared_too_big(const struct h2 *h, const h2_stream_t *st)
{
    for (size_t i = 0; i < st->nh; i++) {
        if (!oe_slice_eq(at(st, &st->offs[i * 4]), OE_SLICE_STR("content-length")))
            continue;
        oe_slice_t v = at(st, &st->offs[i * 4 + 2]);
        uint64_t n = 0;
        for (size_t k = 0; k < v.len; k++) {
            if (v.base[k] < '0' || v.base[k] > '9' || n > (UINT64_MAX - 9) / 10)
                return true; /* not a length we could take */
            n = n * 10 + (uint64_t)(v.base[k] - '0');
        }
        return n > h->c->l->conf->max_body_size;
    }
    return false;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct h2 *h = user;
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) &&
        h->phase == H2_NOTICE && memcmp(frame->ping.opaque_data, drain_ping, 8) == 0) {
        goaway_final(h);
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    h2_stream_t *st = stream_of(h, frame->hd.stream_id);
    if (st == NULL)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !st->headers_done) {
        st->headers_done = true; /* the whole block, CONTINUATION frames included */
        st->body_at = now_ms(h);
        /* A request with a body for a streaming route goes to its handler now. */
        if (!st->error_status && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
            oe_http__streams(h->c, at(st, st->pa), at(st, st->pp), at(st, st->pm))) {
            st->s.req.body_stream = true;
            dispatch(h, st);
            return 0;
        }
        if (!st->error_status && declared_too_big(h, st))
            st->error_status = 413;
    }
    if (st->dispatched && st->s.req.body_stream) {
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && !st->s.ended && !st->s.aborted &&
            st->s.req.on_body != NULL)
            st->s.req.on_body(&st->s.req, NULL, 0, true);
        return 0;
    }
    /* A request over max-body-size is answered 413 at once, from its HEADERS (declared length)
     * or the DATA frame that crossed the limit, not after a body we will not keep; on_frame_send
     * then resets the request side so that the client stops sending. */
    bool early = st->error_status == 413 && st->headers_done;
    if (((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) || early) && !st->dispatched && !st->refused)
        dispatch(h, st);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user)
{
    struct h2 *h = user;
    h2_stream_t *st = stream_of(h, stream_id);
    if (st != NULL) {
        nghttp2_session_set_stream_user_data(session, stream_id, NULL);
        stream_free(h, st);
    }
    if (h->phase == H2_FINAL && h->streams == NULL)
        h->c->close_after_write = true;
    return 0;
}

/* ---- sending ------------------------------------------------------------------------------- */

/* A response frame went out towards the socket: the peer's windows and the socket had room. */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct h2 *h = user;
    int32_t id = frame->hd.stream_id;
    if (id != 0 && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS))
        h->sent_at = now_ms(h);
    /* The response is complete while the client is still sending its request (an early 413).
     * The stream lingers like an HTTP/1.1 connection (conn.c): what the client still sends is
     * dropped, and a request that ends within OE_HTTP_LINGER_MS and OE_HTTP_LINGER_BYTES closes
     * the stream normally; past either, RST_STREAM NO_ERROR asks the client to stop (RFC 9113
     * §8.1). Resetting at once would be allowed, but clients still uploading (curl 7.88) then
     * fail the request instead of reading its 413. */
    if (id != 0 && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_remote_close(session, id) == 0) {
        h2_stream_t *st = stream_of(h, id);
        if (st == NULL) {
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
        } else if (st->linger_at == 0) {
            st->linger_at = now_ms(h);
            h->due = 0; /* an earlier deadline than the timer waits for */
        }
    }
    return 0;
}

/* DATA payloads are not copied into nghttp2's frame buffer (NO_COPY): read_body only sizes the
 * frame, and send_data reads the body straight into the connection's output behind the frame
 * header. One copy less per byte, and nghttp2's 16 KiB frame buffer stays untouched memory. */
static nghttp2_ssize read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                               size_t length, uint32_t *flags, nghttp2_data_source *source,
                               void *user)
{
    h2_stream_t *st = source->ptr;
    if (st->s.streamed) {
        oe_buf_t *b = &st->s.body;
        size_t avail = b->len - st->s.body_pos;
        if (avail == 0 && !st->s.body_done) {
            st->deferred = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        size_t n = OE_MIN(length, avail);
        memcpy(buf, b->base + st->s.body_pos, n);
        st->s.body_pos += n;
        if (st->s.body_pos == b->len) {
            b->len = 0;
            st->s.body_pos = 0;
            if (st->s.body_done)
                *flags |= NGHTTP2_DATA_FLAG_EOF;
        } else if (st->s.body_pos >= 65536) { /* keep the buffer from creeping */
            memmove(b->base, b->base + st->s.body_pos, b->len - st->s.body_pos);
            b->len -= st->s.body_pos;
            st->s.body_pos = 0;
        }
        return (nghttp2_ssize)n;
    }
    uint64_t left = oe_http__stream_body_left(&st->s);
    size_t n = (size_t)OE_MIN((uint64_t)length, left);
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (n == left)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (nghttp2_ssize)n;
}

#define FRAME_HDLEN 9 /* RFC 9113 §4.1 */

static int send_data(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                     size_t length, nghttp2_data_source *source, void *user)
{
    struct h2 *h = user;
    conn_t *c = h->c;
    h2_stream_t *st = source->ptr;
    if (frame->data.padlen > 0) /* no select_padding callback: nghttp2 never pads */
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    uint8_t *p = oe_http__conn_reserve(c, FRAME_HDLEN + length);
    if (p == NULL)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(p, framehd, FRAME_HDLEN);
    /* Nothing is committed until the whole frame is there: a failed read resets the stream. */
    for (size_t got = 0; got < length;) {
        ssize_t n = oe_http__stream_body_read(&st->s, p + FRAME_HDLEN + got, length - got);
        if (n <= 0) {
            oe_log_warn(TAG, "file body read failed: %s", oe_strerror(n < 0 ? (int)n : OE_ETRUNC));
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        got += (size_t)n;
    }
    oe_http__conn_commit(c, FRAME_HDLEN + length);
    /* h2_send's bound on queued output, which nghttp2 does not see between NO_COPY frames. */
    return oe_http__conn_queued(c) >= OE_HTTP_OUT_HIGH ? NGHTTP2_ERR_PAUSE : 0;
}

/* nghttp2 copies names and values at submit time (no NO_COPY flags): they may live on the stack. */
static nghttp2_nv nv(const char *name, const char *value)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                        NGHTTP2_NV_FLAG_NONE};
}

static void submit(stream_t *s)
{
    h2_stream_t *st = (h2_stream_t *)s;
    conn_t *c = s->c;
    struct h2 *h = c->engine;
    if (h == NULL || c->closing)
        return;
    char status[24], length[24];
    oe_fmt_dec(status, (uint64_t)(s->status > 0 ? s->status : 0));
    oe_fmt_dec(length, s->content_length);
    /* A static file's dozen headers fit on the stack; more take the heap. */
    nghttp2_nv stack_nva[16];
    nghttp2_nv *nva = s->nhdrs + 4 <= OE_ARRAY_SIZE(stack_nva)
                          ? stack_nva
                          : malloc((s->nhdrs + 4) * sizeof(*nva));
    if (nva == NULL) {
        nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        goto send;
    }
    size_t n = 0;
    nva[n++] = nv(":status", status);
    nva[n++] = nv("server", "odoh-edge");
    nva[n++] = nv("date", oe_http__worker_date(c->w));
    if (s->status != 204 && s->status != 304 && (!s->streamed || s->stream_length >= 0))
        nva[n++] = nv("content-length", length);
    size_t pos = 0;
    const char *name, *value;
    while (oe_http__stream_header(s, &pos, &name, &value))
        nva[n++] = nv(name, value);
    nghttp2_data_provider2 prd = {.source.ptr = st, .read_callback = read_body};
    st->submit_at = now_ms(h);
    bool body = !s->no_body && (s->streamed || oe_http__stream_body_left(s) > 0);
    if (nghttp2_submit_response2(h->session, st->id, nva, n, body ? &prd : NULL) != 0)
        nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    if (nva != stack_nva)
        free(nva);
send:
    if (!h->in_recv) {
        h2_send(c);
        oe_http__conn_flush(c);
    }
}

static void h2_stream_write(stream_t *s, const void *p, size_t n)
{
    h2_stream_t *st = (h2_stream_t *)s;
    struct h2 *h = s->c->engine;
    if (h == NULL || s->c->closing)
        return;
    oe_buf_append(&s->body, p, n);
    if (st->deferred) {
        st->deferred = false;
        nghttp2_session_resume_data(h->session, st->id);
    }
    send_now(h);
}

static bool h2_stream_room(stream_t *s)
{
    h2_stream_t *st = (h2_stream_t *)s;
    bool room = s->body.len - s->body_pos < STREAM_BUF_HIGH;
    if (!room)
        st->want_writable = true;
    return room;
}

static void h2_stream_end(stream_t *s)
{
    h2_stream_t *st = (h2_stream_t *)s;
    struct h2 *h = s->c->engine;
    if (h == NULL || s->c->closing || s->no_body)
        return;
    if (st->deferred) {
        st->deferred = false;
        nghttp2_session_resume_data(h->session, st->id);
    }
    send_now(h);
}

static void h2_stream_reset(stream_t *s)
{
    h2_stream_t *st = (h2_stream_t *)s;
    struct h2 *h = s->c->engine;
    if (h == NULL || s->c->closing)
        return;
    nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    send_now(h);
}

static void h2_body_ack(stream_t *s, size_t n)
{
    h2_stream_t *st = (h2_stream_t *)s;
    struct h2 *h = s->c->engine;
    if (h == NULL || s->c->closing)
        return;
    nghttp2_session_consume_stream(h->session, st->id, n);
    send_now(h);
}

/* Streamed responses whose buffer drained below STREAM_BUF_HIGH: tell their handlers. Called
 * outside nghttp2's callbacks; a handler may end or reset its stream, which may free it, so the
 * streams are looked up again by id. */
static void notify_writable(struct h2 *h)
{
    int32_t ids[64];
    size_t n = 0;
    for (h2_stream_t *st = h->streams; st != NULL && n < OE_ARRAY_SIZE(ids); st = st->next)
        if (st->want_writable && st->s.body.len - st->s.body_pos < STREAM_BUF_HIGH)
            ids[n++] = st->id;
    for (size_t i = 0; i < n && h->c->engine == h && !h->c->closing; i++) {
        h2_stream_t *st = stream_of(h, ids[i]);
        if (st == NULL || !st->want_writable)
            continue;
        st->want_writable = false;
        if (!st->s.ended && !st->s.aborted && st->s.req.on_writable != NULL)
            st->s.req.on_writable(&st->s.req);
    }
}

/* ---- deadlines ---------------------------------------------------------------------------- */

/* What the connection timer waits for (earliest_deadline). */
enum { DUE_IDLE, DUE_NOTICE, DUE_STREAM, DUE_LINGER };

/* The earliest deadline of the connection (loop time), and what it is (*kind).
 * Streams whose header block has not ended have header-timeout from their HEADERS; streams
 * whose body has not ended have body-timeout from their last DATA; responses waiting to be sent
 * have send-timeout from their submission or the last response frame that went out, whichever
 * is later; streams with their handler have no deadline here (the handler's own time-outs
 * apply). Without streams, keepalive-timeout runs from the last request (PING and SETTINGS
 * frames do not keep a connection open), at most OE_HTTP_DRAIN_IDLE_MS while the worker drains;
 * its expiry begins the graceful GOAWAY. After the first GOAWAY, the final one follows a PING
 * round trip or OE_HTTP_GOAWAY_RTT_MS. O(streams), bounded by max-streams. */
static uint64_t earliest_deadline(const struct h2 *h, int *kind)
{
    const oe_listen_conf_t *lim = h->c->l->conf;
    uint64_t due = UINT64_MAX;
    *kind = DUE_STREAM;
    if (h->phase == H2_NOTICE) {
        due = h->notice_at + OE_HTTP_GOAWAY_RTT_MS;
        *kind = DUE_NOTICE;
    }
    if (h->streams == NULL) {
        uint64_t idle = lim->keepalive_timeout;
        if (h->c->w->stopping)
            idle = OE_MIN(idle, (uint64_t)OE_HTTP_DRAIN_IDLE_MS);
        if (h->phase == H2_OPEN && h->active_at + idle < due) {
            due = h->active_at + idle;
            *kind = DUE_IDLE;
        }
        return due;
    }
    for (const h2_stream_t *st = h->streams; st != NULL; st = st->next) {
        uint64_t d;
        if (st->reset)
            continue; /* closes once its RST_STREAM is out */
        if (st->linger_at != 0) {
            d = st->linger_at + OE_HTTP_LINGER_MS;
            if (d < due) {
                due = d;
                *kind = DUE_LINGER;
            }
            continue;
        }
        if (!st->headers_done)
            d = st->begun_at + lim->header_timeout;
        else if (!st->dispatched) /* also a refused stream until its RST_STREAM is out */
            d = st->body_at + lim->body_timeout;
        else if (st->s.streamed && !st->s.body_done && st->s.body.len == st->s.body_pos)
            continue; /* a streamed response waits for its source: the handler's time-outs */
        else if (st->s.responded)
            d = OE_MAX(st->submit_at, h->sent_at) + lim->send_timeout;
        else
            continue;
        if (d < due) {
            due = d;
            *kind = DUE_STREAM;
        }
    }
    return due;
}

/* A client that acknowledges bytes of a full output queue is making progress even between
 * frames. Returns whether the queue is full (and so worth looking at again soon). With a small
 * queue the count is not read (no system call on the fast path); the first look at a full
 * queue afterwards may then count as progress once. */
static bool note_socket_progress(struct h2 *h)
{
    if (oe_http__conn_queued(h->c) < SOCKET_PROGRESS_MIN)
        return false;
    uint64_t sent = oe_http__conn_sent(h->c);
    if (sent != h->sock_sent)
        h->sent_at = now_ms(h);
    h->sock_sent = sent;
    return true;
}

/* Moves the connection timer earlier when a deadline needs it. It never moves it later: a timer
 * that fires before the deadline looks again (h2_timeout), which keeps the timer heap out of
 * the per-frame path. */
static void arm(conn_t *c)
{
    struct h2 *h = c->engine;
    if (h == NULL || c->closing || h->expired)
        return;
    bool full = note_socket_progress(h);
    int kind;
    uint64_t due = earliest_deadline(h, &kind), now = now_ms(h);
    /* A full queue is looked at again every quarter of send-timeout. */
    if (full)
        due = OE_MIN(due, now + OE_MAX(c->l->conf->send_timeout / 4, (uint64_t)1));
    if (due == UINT64_MAX || (h->due != 0 && due >= h->due))
        return;
    h->due = due;
    oe_http__conn_set_timer(c, due > now ? due - now : 0);
}

/* Moves frames from nghttp2 to the connection while the output has room. The connection
 * gathers them until its next flush, so small frames share TLS records, and a run of 16 KiB DATA
 * frames fills whole records instead of leaving each frame's 9-byte tail alone in a record. */
static void h2_send(conn_t *c)
{
    struct h2 *h = c->engine;
    while (!c->closing && oe_http__conn_queued(c) < OE_HTTP_OUT_HIGH) {
        const uint8_t *data;
        nghttp2_ssize n = nghttp2_session_mem_send2(h->session, &data);
        if (n < 0) {
            oe_http__conn_close(c);
            return;
        }
        if (n == 0)
            break;
        if (oe_http__conn_send(c, data, (size_t)n) < 0)
            return;
    }
    if (!nghttp2_session_want_read(h->session) && !nghttp2_session_want_write(h->session))
        c->close_after_write = true;
    arm(c);
}

/* ---- the engine ----------------------------------------------------------------------------- */

/* The ORIGIN frame for this connection's certificate (RFC 8336 §2), right after SETTINGS. */
static void submit_origin(struct h2 *h)
{
    const cert_info_t *ci = h->c->cert;
    if (ci == NULL || !ci->send_origin)
        return;
    const oe_buf_t *b = &ci->origin[h->c->listen_index];
    const uint8_t *p = b->base, *end = p != NULL ? p + b->len : p; /* no arithmetic on NULL */
    nghttp2_origin_entry entries[256];
    size_t n = 0;
    while (end - p >= 2 && n < OE_ARRAY_SIZE(entries)) {
        size_t len = oe_get16(p);
        entries[n].origin = (uint8_t *)p + 2;
        entries[n].origin_len = len;
        n++;
        p += 2 + len;
    }
    if (nghttp2_submit_origin(h->session, NGHTTP2_FLAG_NONE, n ? entries : NULL, n) == 0)
        oe_stat_inc(OE_STAT_ORIGIN_SENT);
}

/* nghttp2's memory, per session: blocks of NG_BIG bytes or more that the session makes when it
 * is created (the 16 KiB frame buffer, the only one there) are page mappings of their own, listed
 * in h->big, so that only the pages nghttp2 writes count in the process's memory, and an idle
 * session can give even those back (h2_trim). Everything else is plain malloc: later large
 * blocks hold state that outlives a frame (a header being decoded, possibly across frames and
 * idle seconds; HPACK table entries, whose Huffman buffers can exceed NG_BIG), and zeroing them
 * crashed nghttp2. */
static struct ng_big *ng_find(struct h2 *h, const void *p)
{
    for (size_t i = 0; i < NG_MAPS; i++)
        if (h->big[i].p == p && p != NULL)
            return &h->big[i];
    return NULL;
}

static void *ng_malloc(size_t size, void *user)
{
    struct h2 *h = user;
    struct ng_big *slot = NULL;
    for (size_t i = 0; slot == NULL && h->creating && size >= NG_BIG && i < NG_MAPS; i++)
        if (h->big[i].p == NULL)
            slot = &h->big[i];
    if (slot == NULL) /* small, or every slot taken */
        return malloc(size);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *slot = (struct ng_big){.p = p, .size = size};
    return p;
}

static void ng_free(void *p, void *user)
{
    struct ng_big *b = ng_find(user, p);
    if (b == NULL) {
        free(p);
        return;
    }
    munmap(b->p, b->size);
    *b = (struct ng_big){0};
}

static void *ng_calloc(size_t n, size_t size, void *user)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = ng_malloc(n * size, user);
    if (p != NULL && ng_find(user, p) == NULL) /* fresh mappings are zero already */
        memset(p, 0, n * size);
    return p;
}

static void *ng_realloc(void *p, size_t size, void *user)
{
    struct ng_big *b = ng_find(user, p);
    if (b == NULL && size < NG_BIG)
        return realloc(p, size);
    size_t old = b != NULL ? b->size : p != NULL ? malloc_usable_size(p) : 0;
    void *q = ng_malloc(size, user);
    if (q == NULL)
        return NULL;
    if (p != NULL)
        memcpy(q, p, OE_MIN(old, size));
    ng_free(p, user);
    return q;
}

/* Idle: nothing waits in nghttp2's frame buffer (the only mapping: see ng_malloc); its pages
 * read as zeros again and cost nothing until the next frame. */
static void h2_trim(conn_t *c)
{
    struct h2 *h = c->engine;
    if (h == NULL || nghttp2_session_want_write(h->session))
        return;
    for (size_t i = 0; i < NG_MAPS; i++)
        if (h->big[i].p != NULL)
            (void)madvise(h->big[i].p, h->big[i].size, MADV_DONTNEED);
}

static int h2_init(conn_t *c)
{
    struct h2 *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return OE_ENOMEM;
    h->c = c;
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cb) != 0) {
        free(h);
        return OE_ENOMEM;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_send_data_callback(cb, send_data);
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        free(h);
        return OE_ENOMEM;
    }
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33); /* rapid reset (CVE-2023-44487) */
    nghttp2_option_set_max_continuations(opt, 8);              /* CONTINUATION flood */
    nghttp2_option_set_max_outbound_ack(opt, 1000);            /* PING/SETTINGS floods */
    nghttp2_option_set_no_auto_window_update(opt, 1); /* on_data_chunk consumes (streamed bodies) */
    h->mem = (nghttp2_mem){h, ng_malloc, ng_free, ng_calloc, ng_realloc};
    h->creating = true;
    int rc = nghttp2_session_server_new3(&h->session, cb, h, opt, &h->mem);
    h->creating = false;
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    if (rc != 0) {
        free(h);
        return OE_ENOMEM;
    }
    const oe_listen_conf_t *lim = c->l->conf;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)lim->max_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)lim->max_header_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
        {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}, /* WebSocket over HTTP/2 (RFC 8441) */
    };
    nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings, OE_ARRAY_SIZE(settings));
    c->engine = h;
    h->active_at = h->sent_at = now_ms(h);
    submit_origin(h);
    h2_send(c);
    return 0;
}

static int h2_input(conn_t *c, const uint8_t *p, size_t n)
{
    struct h2 *h = c->engine;
    h->in_recv = true;
    nghttp2_ssize rc = nghttp2_session_mem_recv2(h->session, p, n);
    h->in_recv = false;
    if (c->closing)
        return -1;
    if (rc < 0) {
        oe_log_debug(TAG, "HTTP/2 protocol error: %s", nghttp2_strerror((int)rc));
        if (rc != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
            nghttp2_session_terminate_session(h->session, NGHTTP2_PROTOCOL_ERROR);
        h2_send(c);
        return -1;
    }
    h2_send(c);
    notify_writable(h);
    return 0;
}

static void h2_drain(conn_t *c)
{
    if (c->engine != NULL) {
        h2_send(c);
        notify_writable(c->engine);
        oe_http__conn_flush(c);
    }
}

static void send_now(struct h2 *h)
{
    if (!h->in_recv) {
        h2_send(h->c);
        oe_http__conn_flush(h->c);
    }
}

/* The graceful GOAWAY of RFC 9113 §6.8: first last-stream-id 2^31-1 with a PING, so that
 * requests already on their way are still served; the final one with the real last stream id
 * after the PING's acknowledgement (or OE_HTTP_GOAWAY_RTT_MS). */
static void goaway_notice(struct h2 *h)
{
    h->phase = H2_NOTICE;
    h->notice_at = now_ms(h);
    nghttp2_submit_shutdown_notice(h->session);
    nghttp2_submit_ping(h->session, NGHTTP2_FLAG_NONE, drain_ping);
    h->due = 0; /* the notice's deadline may be earlier than what the timer waits for */
    arm(h->c);
    send_now(h);
}

/* The streams' own deadlines still apply after it, and the worker's drain deadline. */
static void goaway_final(struct h2 *h)
{
    h->phase = H2_FINAL;
    nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h->session), NGHTTP2_NO_ERROR,
                          NULL, 0);
    if (h->streams == NULL)
        h->c->close_after_write = true;
    send_now(h);
}

/* Nothing in progress or to send: the connection can move to another worker as it is. */
static bool h2_quiescent(conn_t *c)
{
    struct h2 *h = c->engine;
    return h->phase == H2_OPEN && h->streams == NULL && !h->in_recv &&
           !nghttp2_session_want_write(h->session);
}

/* On its new worker: the timer is armed afresh on that loop. */
static void h2_adopt(conn_t *c)
{
    struct h2 *h = c->engine;
    h->c = c;
    h->due = 0;
    arm(c);
}

/* Draining: an idle connection gets its GOAWAY once OE_HTTP_DRAIN_IDLE_MS passed since its last
 * request (earliest_deadline), a busy one when it pauses that long, every one when hurrying. */
static void h2_drain_start(conn_t *c)
{
    struct h2 *h = c->engine;
    if (h->phase != H2_OPEN)
        return;
    if (c->w->hurry) {
        goaway_notice(h);
    } else {
        h->due = 0;
        arm(c);
    }
}

/* The connection timer fired: re-armed when no deadline has passed yet (it fires early on
 * purpose, see arm()). Idle: the graceful GOAWAY begins; no PING acknowledgement in time: the
 * final GOAWAY; a stream past its deadline: GOAWAY ENHANCE_YOUR_CALM and the connection ends. */
static void h2_timeout(conn_t *c)
{
    struct h2 *h = c->engine;
    if (h->expired) { /* the GOAWAY had its chance; the peer does not read */
        oe_http__conn_close(c);
        return;
    }
    if (h->phase == H2_FINAL && h->streams == NULL) {
        oe_http__conn_close_graceful(c);
        return;
    }
    h->due = 0;
    note_socket_progress(h);
    int kind;
    uint64_t due = earliest_deadline(h, &kind), now = now_ms(h);
    if (due > now) {
        arm(c);
        return;
    }
    if (kind == DUE_IDLE) {
        oe_log_debug(TAG, "HTTP/2 connection idle: GOAWAY");
        goaway_notice(h);
        return;
    }
    if (kind == DUE_NOTICE) {
        goaway_final(h);
        return;
    }
    if (kind == DUE_LINGER) {
        for (h2_stream_t *st = h->streams; st != NULL; st = st->next)
            if (st->linger_at != 0 && !st->reset && st->linger_at + OE_HTTP_LINGER_MS <= now)
                stop_request(h, st);
        send_now(h);
        arm(c);
        return;
    }
    /* A stream held resources past its deadline. The GOAWAY may go past the output bound (it is
     * the last frame); after a second the connection closes whether or not it left. */
    oe_log_debug(TAG, "HTTP/2 connection past a stream deadline");
    h->expired = true;
    nghttp2_session_terminate_session(h->session, NGHTTP2_ENHANCE_YOUR_CALM);
    while (!c->closing && nghttp2_session_want_write(h->session)) {
        const uint8_t *data;
        nghttp2_ssize n = nghttp2_session_mem_send2(h->session, &data);
        if (n <= 0 || oe_http__conn_send(c, data, (size_t)n) < 0)
            break;
    }
    if (c->closing)
        return;
    c->close_after_write = true;
    oe_http__conn_pause_read(c);
    oe_http__conn_flush(c);
    oe_http__conn_set_timer(c, 1000);
}

static void h2_abort(conn_t *c)
{
    if (c->engine == NULL)
        return;
    for (h2_stream_t *st = ((struct h2 *)c->engine)->streams; st != NULL; st = st->next)
        oe_http__stream_abort(&st->s);
}

static void h2_free(conn_t *c)
{
    struct h2 *h = c->engine;
    if (h == NULL)
        return;
    while (h->streams != NULL)
        stream_free(h, h->streams);
    nghttp2_session_del(h->session);
    free(h);
    c->engine = NULL;
}

const proto_t oe_http__h2 = {
    .init = h2_init,
    .input = h2_input,
    .drain = h2_drain,
    .abort = h2_abort,
    .idle = h2_quiescent,
    .goaway = h2_drain_start,
    .timeout = h2_timeout,
    .adopt = h2_adopt,
    .free = h2_free,
    .trim = h2_trim,
    .submit = submit,
    .stream_write = h2_stream_write,
    .stream_room = h2_stream_room,
    .stream_end = h2_stream_end,
    .stream_reset = h2_stream_reset,
    .body_ack = h2_body_ack,
};
