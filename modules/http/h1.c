/*
 * HTTP/1.1 with llhttp in strict mode (no lenient flags): one request at a time, later pipelined
 * requests wait unparsed (bounded) until the response before them is sent. Limits answer with
 * 414 (URL), 431 (header bytes or count), 413 (body), 400 (anything malformed), then close
 * (lingering: see conn_end in conn.c).
 */
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "http/http_int.h"

typedef struct hoff {
    size_t name, name_len, value, value_len;
} hoff_t;

typedef struct h1 {
    llhttp_t parser;
    conn_t *c;
    stream_t s;
    oe_buf_t raw; /* url, then header names and values */
    size_t url_len;
    hoff_t *hoffs;
    size_t nh, hcap;
    int last;        /* 1 after a field callback, 2 after a value callback */
    char version[4]; /* the request line's version digits as sent ("1.1"), for 505 or 400 */
    size_t version_len;
    bool version_known; /* llhttp accepted the version (on_version_complete ran) */
    oe_header_t *headers;
    oe_buf_t body;
    oe_buf_t pending; /* input after a complete request, parsed once its response is out */
    int error_status;
    bool busy; /* a request is with its handler or its response is being written */
    bool keep_alive;
    bool complete;       /* the parser saw a whole message */
    bool close_after;    /* parse error or Connection: close */
    bool streaming;      /* response head sent, body still flowing */
    bool running;        /* inside run(): nested calls leave the work to it */
    bool begun;          /* the parser saw the first byte of a request */
    bool served;         /* at least one response went out: an idle connection is kept alive */
    bool closing;        /* the response in progress says connection: close */
    bool stream_head;    /* on_headers_complete paused: the request's route streams its body */
    bool body_streaming; /* the request body goes to the handler piece by piece (on_body) */
    bool chunked;        /* the streamed response is sent with chunked transfer coding */
    bool want_writable;  /* the handler waits for room (oe_resp_stream_room said no) */
    size_t body_held;    /* streamed request body bytes the handler has not acknowledged */
    bool tunnel;         /* Upgrade: websocket to a streaming route: after the head, raw bytes */
    uint64_t sent_at;    /* loop time the socket last took response bytes */
    uint64_t sock_sent;  /* oe_http__conn_sent() at that time */
} h1_t;

static llhttp_settings_t settings;

/* Streamed request bodies: parsing stops while the handler holds this much unacknowledged, and
 * the socket stops being read once the unparsed input is over the pipelining bound too. */
#define BODY_HELD_HIGH (256 * 1024)

static h1_t *h1_of(llhttp_t *p)
{
    return p->data;
}

static const oe_listen_conf_t *limits(h1_t *h)
{
    return h->c->l->conf;
}

/* A limit was hit: the callback's failure stops llhttp, and parse() answers with status. */
static int fail(h1_t *h, int status)
{
    h->error_status = status;
    return -1;
}

static int on_message_begin(llhttp_t *p)
{
    h1_t *h = h1_of(p);
    h->raw.len = 0;
    h->url_len = 0;
    h->nh = 0;
    h->last = 0;
    h->body.len = 0;
    h->error_status = 0;
    h->version_len = 0;
    h->version_known = false;
    h->begun = true;
    oe_http__conn_set_timer(h->c, limits(h)->header_timeout);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    h1_t *h = h1_of(p);
    if (h->url_len + len > limits(h)->max_url_size)
        return fail(h, 414);
    oe_buf_append(&h->raw, at, len);
    h->url_len += len;
    return 0;
}

static int on_version(llhttp_t *p, const char *at, size_t len)
{
    h1_t *h = h1_of(p);
    size_t n = OE_MIN(len, sizeof(h->version) - h->version_len);
    memcpy(h->version + h->version_len, at, n);
    h->version_len += n;
    return 0;
}

/* llhttp knows 0.9, 1.0, 1.1 and 2.0; only 1.0 and 1.1 are HTTP/1 as this engine speaks it. A
 * request line naming another version is answered 505 (RFC 9110 §15.6.6). */
static int on_version_complete(llhttp_t *p)
{
    h1_t *h = h1_of(p);
    h->version_known = true;
    if (p->http_major != 1 || p->http_minor > 1)
        return fail(h, 505);
    return 0;
}

/* Did the request line name a well-formed version ("DIGIT.DIGIT", RFC 9112 §2.3) that llhttp
 * does not know, such as "9.9"? That is 505 too; anything else malformed is 400. */
static bool unknown_version(const h1_t *h)
{
    return llhttp_get_errno(&h->parser) == HPE_INVALID_VERSION && !h->version_known &&
           h->version_len == 3 && h->version[0] >= '0' && h->version[0] <= '9' &&
           h->version[1] == '.' && h->version[2] >= '0' && h->version[2] <= '9';
}

static int header_bytes(h1_t *h, size_t more)
{
    return h->raw.len - h->url_len + more > limits(h)->max_header_size ? -1 : 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    h1_t *h = h1_of(p);
    if (h->body_streaming)
        return 0; /* trailer fields of a streamed body are dropped (RFC 9110 §6.5.1) */
    if (header_bytes(h, len) < 0)
        return fail(h, 431);
    if (h->last != 1) {
        if (h->nh == (size_t)limits(h)->max_headers)
            return fail(h, 431);
        if (h->nh == h->hcap) {
            h->hcap = h->hcap ? h->hcap * 2 : 16;
            h->hoffs = oe_realloc(h->hoffs, h->hcap * sizeof(*h->hoffs));
        }
        h->hoffs[h->nh++] = (hoff_t){.name = h->raw.len};
    }
    for (size_t i = 0; i < len; i++) { /* field names are case-insensitive: store lower-case */
        char ch = at[i] >= 'A' && at[i] <= 'Z' ? (char)(at[i] + 32) : at[i];
        oe_buf_append(&h->raw, &ch, 1);
    }
    h->hoffs[h->nh - 1].name_len += len;
    h->last = 1;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    h1_t *h = h1_of(p);
    if (h->body_streaming)
        return 0;
    if (header_bytes(h, len) < 0)
        return fail(h, 431);
    if (h->last != 2)
        h->hoffs[h->nh - 1].value = h->raw.len;
    oe_buf_append(&h->raw, at, len);
    h->hoffs[h->nh - 1].value_len += len;
    h->last = 2;
    return 0;
}

/* Does the request whose header block just ended go to a route that streams its body? Only
 * origin-form targets with a body qualify; the others are buffered as before. */
static bool wants_stream(h1_t *h, bool tunnel)
{
    llhttp_t *p = &h->parser;
    bool body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
    if ((!body && !tunnel) || h->url_len == 0 || h->raw.base[0] != '/')
        return false;
    const char *base = (const char *)h->raw.base;
    oe_slice_t host = {NULL, 0};
    for (size_t i = 0; i < h->nh; i++)
        if (oe_slice_eq(OE_SLICE(base + h->hoffs[i].name, h->hoffs[i].name_len),
                        OE_SLICE_STR("host")))
            host = OE_SLICE(base + h->hoffs[i].value, h->hoffs[i].value_len);
    oe_slice_t method = OE_SLICE_STR(llhttp_method_name(llhttp_get_method(p)));
    return oe_http__streams(h->c, host, OE_SLICE(base, h->url_len), method);
}

/* A WebSocket opening handshake (RFC 6455 §4.1): GET with Connection: upgrade (llhttp's upgrade
 * flag) and Upgrade: websocket. */
static bool websocket(h1_t *h)
{
    llhttp_t *p = &h->parser;
    if (!p->upgrade || llhttp_get_method(p) != HTTP_GET)
        return false;
    const char *base = (const char *)h->raw.base;
    for (size_t i = 0; i < h->nh; i++) {
        if (!oe_slice_eq(OE_SLICE(base + h->hoffs[i].name, h->hoffs[i].name_len),
                         OE_SLICE_STR("upgrade")))
            continue;
        const char *v = base + h->hoffs[i].value;
        return h->hoffs[i].value_len == 9 && strncasecmp(v, "websocket", 9) == 0;
    }
    return false;
}

static int on_headers_complete(llhttp_t *p)
{
    h1_t *h = h1_of(p);
    /* The one upgrade implemented is a WebSocket to a streaming route (a tunnel, below). Any
     * other request with Upgrade (h2c, or websocket to a static site) is served as if the header
     * were absent (RFC 9110 §7.8 lets the server ignore it), and the bytes after it are the next
     * HTTP/1.1 request. Clearing the flag here keeps llhttp from stopping with
     * HPE_PAUSED_UPGRADE and treating the rest as another protocol. CONNECT (authority-form
     * target) is then an ordinary request, which dispatch answers with 400. */
    bool ws = websocket(h);
    p->upgrade = 0;
    /* A WebSocket upgrade to a streaming route becomes a tunnel: the bytes after the head are
     * the client's side of it, never parsed as HTTP again. */
    if (ws && wants_stream(h, true)) {
        h->stream_head = true;
        h->tunnel = true;
        return HPE_PAUSED;
    }
    /* A streaming route takes the request now; its body follows piece by piece (parse()). */
    if (wants_stream(h, false)) {
        h->stream_head = true;
        return HPE_PAUSED;
    }
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > limits(h)->max_body_size)
        return fail(h, 413);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    h1_t *h = h1_of(p);
    if (!h->body_streaming && h->body.len + len > limits(h)->max_body_size)
        return fail(h, 413);
    oe_buf_append(&h->body, at, len);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    h1_t *h = h1_of(p);
    h->complete = true;
    h->keep_alive = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

static void setup_settings(void)
{
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_url;
    settings.on_version = on_version;
    settings.on_version_complete = on_version_complete;
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
}

static int h1_init(conn_t *c)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, setup_settings);
    h1_t *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return OE_ENOMEM;
    h->c = c;
    oe_http__stream_init(&h->s, &oe_http__h1, c); /* no request yet; its fd must read as -1 */
    llhttp_init(&h->parser, HTTP_REQUEST, &settings);
    h->parser.data = h;
    c->engine = h;
    oe_http__conn_set_timer(c, c->l->conf->header_timeout);
    return 0;
}

static void h1_abort(conn_t *c)
{
    if (c->engine != NULL)
        oe_http__stream_abort(&((h1_t *)c->engine)->s);
}

static void h1_free(conn_t *c)
{
    h1_t *h = c->engine;
    if (h == NULL)
        return;
    oe_http__stream_abort(&h->s);
    oe_http__stream_release(&h->s);
    oe_buf_free(&h->raw);
    oe_buf_free(&h->body);
    oe_buf_free(&h->pending);
    free(h->hoffs);
    free(h->headers);
    free(h);
    c->engine = NULL;
}

static bool h1_idle(conn_t *c)
{
    h1_t *h = c->engine;
    return h != NULL && !h->busy && !h->begun && h->raw.len == 0 && h->pending.len == 0;
}

/* Draining, for a connection that cannot move to the live generation (oe_http__conn_may_migrate): a
 * request in progress is answered with "connection: close" (done() closes after it); a new
 * connection still gets its first request answered (header-timeout applies); an idle kept-alive
 * one is closed with close_notify after a short grace, in which a request the client sent just
 * before is still answered, or at once when hurrying. */
static void h1_drain_start(conn_t *c)
{
    if (!h1_idle(c) || !((h1_t *)c->engine)->served)
        return;
    if (c->w->hurry)
        oe_http__conn_close_graceful(c);
    else
        oe_http__conn_set_timer(
            c, OE_MIN(c->l->conf->keepalive_timeout, (uint64_t)OE_HTTP_DRAIN_IDLE_MS));
}

/* Nothing in progress: the connection can move to another worker as it is. */
static bool h1_quiescent(conn_t *c)
{
    return h1_idle(c) && !((h1_t *)c->engine)->close_after && !((h1_t *)c->engine)->streaming &&
           !((h1_t *)c->engine)->running;
}

static void h1_adopt(conn_t *c)
{
    h1_t *h = c->engine;
    h->c = c;
    oe_http__stream_init(&h->s, &oe_http__h1, c);
    oe_http__conn_set_timer(c,
                            h->served ? c->l->conf->keepalive_timeout : c->l->conf->header_timeout);
}

/* Answers a request that could not be parsed, then closes. */
static void reject(h1_t *h, int status)
{
    oe_http__stream_init(&h->s, &oe_http__h1, h->c);
    h->s.handled = true;
    h->busy = true;
    h->keep_alive = false;
    h->close_after = true;
    /* The server's own verdict on a malformed request is not for any cache to keep. */
    oe_resp_header(&h->s.req, "cache-control", "no-cache, no-store");
    oe_resp_error(&h->s.req, status);
}

/* Builds the request views and hands the request to the router. */
static void dispatch(h1_t *h)
{
    stream_t *s = &h->s;
    oe_http__stream_init(s, &oe_http__h1, h->c);
    h->busy = true;
    oe_http__conn_set_timer(h->c, 24 * 3600 * 1000ull); /* the handler's own time-outs apply now */
    oe_req_t *req = &s->req;
    const char *base = (const char *)h->raw.base;
    req->version = h->parser.http_minor == 0 ? 10 : 11;
    req->method = OE_SLICE_STR(llhttp_method_name(llhttp_get_method(&h->parser)));
    h->headers = oe_realloc(h->headers, (h->nh ? h->nh : 1) * sizeof(*h->headers));
    oe_slice_t host = {NULL, 0};
    int hosts = 0;
    for (size_t i = 0; i < h->nh; i++) {
        h->headers[i].name = OE_SLICE(base + h->hoffs[i].name, h->hoffs[i].name_len);
        h->headers[i].value = OE_SLICE(base + h->hoffs[i].value, h->hoffs[i].value_len);
        if (oe_slice_eq(h->headers[i].name, OE_SLICE_STR("host"))) {
            host = h->headers[i].value;
            hosts++;
        }
    }
    req->headers = h->headers;
    req->nheaders = h->nh;
    req->body = OE_SLICE(h->body.base, h->body.len);
    if (h->tunnel) {
        req->upgrade = OE_SLICE_STR("websocket");
        req->body_length = -1;
    }
    if (h->body_streaming) {
        req->body = OE_SLICE("", 0);
        req->body_stream = true;
        req->body_length = (h->parser.flags & F_CHUNKED) ? -1 : (int64_t)h->parser.content_length;
    }
    /* The target: origin-form "/path?query", or absolute-form "http(s)://authority/path". */
    oe_slice_t url = OE_SLICE(base, h->url_len);
    if (url.len > 8 &&
        (memcmp(url.base, "http://", 7) == 0 || memcmp(url.base, "https://", 8) == 0)) {
        const uint8_t *a = memchr(url.base, ':', url.len) + 3;
        const uint8_t *slash = memchr(a, '/', (size_t)(url.base + url.len - a));
        size_t alen = slash ? (size_t)(slash - a) : (size_t)(url.base + url.len - a);
        host = OE_SLICE(a, alen);
        url = slash ? OE_SLICE(slash, (size_t)(url.base + url.len - slash)) : OE_SLICE("/", 1);
    }
    /* Host is required in HTTP/1.1 (RFC 9112 §3.2), never twice; an HTTP/1.0 request without it
     * goes to the connection's default site (oe_http__default_authority). The target is
     * origin-form, or asterisk-form "*" (oe_http__dispatch answers OPTIONS * and rejects anything
     * else). */
    bool asterisk = url.len == 1 && url.base[0] == '*';
    bool no_host = hosts == 0 && req->version == 10;
    if (url.len == 0 || (url.base[0] != '/' && !asterisk) || (hosts != 1 && !no_host)) {
        h->close_after = true;
        h->keep_alive = false;
        oe_resp_error(req, 400);
        return;
    }
    const uint8_t *q = memchr(url.base, '?', url.len);
    req->path = q ? OE_SLICE(url.base, (size_t)(q - url.base)) : url;
    req->query = q ? OE_SLICE(q + 1, (size_t)(url.base + url.len - q - 1)) : OE_SLICE("", 0);
    if (no_host)
        host = oe_http__default_authority(h->c);
    if (!oe_http__parse_authority(host, s->authority, sizeof(s->authority), &req->authority)) {
        h->close_after = true;
        h->keep_alive = false;
        oe_resp_error(req, 400);
        return;
    }
    /* A client that waits for "100 Continue" before sending a streamed body gets it at once:
     * the handler takes the body as it comes (RFC 9110 §10.1.1). */
    if (h->body_streaming && req->version == 11 &&
        oe_slice_eq(oe_req_header(req, "expect"), OE_SLICE_STR("100-continue"))) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (oe_http__conn_send(h->c, cont, sizeof(cont) - 1) == 0)
            oe_http__conn_flush(h->c);
    }
    oe_http__dispatch(h->c, s);
}

/* Hands the body bytes parsed in the last pass (and the end, when the message is complete) to
 * the handler of a streamed request; after the handler let go they are dropped. */
static void deliver(h1_t *h)
{
    stream_t *s = &h->s;
    bool fin = h->complete;
    oe_buf_t body = h->body;
    h->body = (oe_buf_t){0};
    if (!s->ended && !s->aborted && s->req.on_body != NULL) {
        h->body_held += body.len;
        if (body.len > 0)
            s->req.on_body(&s->req, body.base, body.len, false);
        if (fin && !s->ended && !s->aborted)
            s->req.on_body(&s->req, NULL, 0, true);
    }
    oe_buf_free(&body);
}

/* Feeds bytes to the parser; stops at the end of a message and keeps what follows in
 * h->pending for after its response (pipelining). */
static int parse(h1_t *h, const uint8_t *p, size_t n)
{
    if (h->body_streaming && h->tunnel) { /* raw bytes for as long as the connection lives */
        oe_buf_append(&h->body, p, n);
        deliver(h);
        return 0;
    }
    llhttp_errno_t err = llhttp_execute(&h->parser, (const char *)p, n);
    if (h->body_streaming) {
        size_t used = n;
        if (err == HPE_PAUSED) {
            const uint8_t *stop = (const uint8_t *)llhttp_get_error_pos(&h->parser);
            used = stop != NULL ? (size_t)(stop - p) : n;
        }
        if (err != HPE_OK && !(err == HPE_PAUSED && h->complete)) {
            /* A malformed body after the handler took the request: nothing sane can follow. */
            h->body_streaming = false;
            h->close_after = true;
            oe_http__stream_abort(&h->s);
            oe_http__conn_close(h->c);
            return 0;
        }
        bool complete = h->complete;
        if (complete) {
            llhttp_resume(&h->parser);
            h->complete = false;
            h->body_streaming = false;
            if (used < n && !h->close_after)
                oe_buf_append(&h->pending, p + used, n - used);
        }
        h->complete = complete;
        deliver(h);
        h->complete = false;
        return 0;
    }
    if (err == HPE_OK)
        return 0;
    if (err == HPE_PAUSED && h->stream_head) {
        const uint8_t *stop = (const uint8_t *)llhttp_get_error_pos(&h->parser);
        size_t used = stop != NULL ? (size_t)(stop - p) : n;
        h->stream_head = false;
        llhttp_resume(&h->parser);
        if (used < n)
            oe_buf_append(&h->pending, p + used, n - used);
        h->body_streaming = true;
        dispatch(h);
        return 0;
    }
    /* Only on_message_complete pauses (upgrades are switched off in on_headers_complete): a
     * pause without a complete message would dispatch a stale request. */
    if (err == HPE_PAUSED && h->complete) {
        const uint8_t *stop = (const uint8_t *)llhttp_get_error_pos(&h->parser);
        size_t used = stop != NULL ? (size_t)(stop - p) : n;
        llhttp_resume(&h->parser);
        /* Keep what follows for after this response (bounded pipelining). */
        if (used < n && !h->close_after)
            oe_buf_append(&h->pending, p + used, n - used);
        h->complete = false;
        dispatch(h);
        return 0;
    }
    reject(h, h->error_status ? h->error_status : unknown_version(h) ? 505 : 400);
    return 0;
}

/* Parses pending input while no request is in progress. Handlers may answer synchronously,
 * which ends in done() and calls run() again: that nested call returns at once and this loop
 * carries on, so pipelined requests never recurse. */
static void run(h1_t *h)
{
    if (h->running)
        return;
    h->running = true;
    while (h->pending.len > 0 && !h->close_after && !h->c->closing) {
        if (h->body_streaming ? h->body_held >= BODY_HELD_HIGH : h->busy)
            break;
        oe_buf_t in = h->pending;
        h->pending = (oe_buf_t){0};
        parse(h, in.base, in.len);
        oe_buf_free(&in);
    }
    h->running = false;
}

/* Input read ahead of the request in progress, at most. */
static size_t pending_cap(const conn_t *c)
{
    return (size_t)c->l->conf->max_pipelined * (c->l->conf->max_header_size + 1024);
}

static int h1_input(conn_t *c, const uint8_t *p, size_t n)
{
    h1_t *h = c->engine;
    if (h->close_after)
        return 0; /* after an error we only finish writing */
    oe_buf_append(&h->pending, p, n);
    run(h);
    if (h->busy && h->pending.len > pending_cap(c))
        oe_http__conn_pause_read(c);
    return 0;
}

/* Writes body bytes while the output has room. Returns true when the body is complete. */
static bool write_body(h1_t *h)
{
    stream_t *s = &h->s;
    while (oe_http__stream_body_left(s) > 0 && oe_http__conn_queued(h->c) < OE_HTTP_OUT_HIGH) {
        /* Read straight into the connection's output, behind the head. */
        size_t want = (size_t)OE_MIN(oe_http__stream_body_left(s), (uint64_t)16384);
        uint8_t *buf = oe_http__conn_reserve(h->c, want);
        if (buf == NULL)
            return false;
        ssize_t n = oe_http__stream_body_read(s, buf, want);
        if (n <= 0) {
            oe_log_warn(TAG, "file body read failed: %s", oe_strerror((int)n));
            h->close_after = true;
            oe_http__conn_close(h->c);
            return false;
        }
        oe_http__conn_commit(h->c, (size_t)n);
    }
    return oe_http__stream_body_left(s) == 0;
}

/* The response is out: next request, or close. */
static void done(h1_t *h)
{
    conn_t *c = h->c;
    oe_http__stream_release(&h->s);
    h->streaming = false;
    h->chunked = false;
    h->want_writable = false;
    h->body_streaming = false; /* a body still arriving: closing is set (submit) */
    h->body_held = 0;
    h->tunnel = false;
    h->busy = false;
    h->begun = false;
    h->served = true;
    h->raw.len = 0;
    if (h->closing) {
        h->close_after = true; /* nothing after this response is parsed */
        c->close_after_write = true;
        oe_http__conn_flush(c);
        return;
    }
    oe_http__conn_set_timer(c, c->l->conf->keepalive_timeout);
    oe_http__conn_resume_read(c);
    run(h);
}

static uint64_t send_poll(const conn_t *c);

static void submit(stream_t *s)
{
    conn_t *c = s->c;
    h1_t *h = c->engine;
    if (h == NULL || s != &h->s)
        return;
    /* The head goes straight into the connection's output: it shares a TLS record with the
     * body that follows. */
    /* "HTTP/1.1 NNN " + a reason (at most 31 bytes) + the server field + an IMF-fixdate (29):
     * about 100 bytes, written without printf (it showed in profiles). */
    char line[192];
    const char *reason = oe_http_reason(s->status), *date = oe_http__worker_date(c->w);
    size_t rlen = OE_MIN(strlen(reason), (size_t)64), dlen = OE_MIN(strlen(date), (size_t)40);
    size_t hl = 9;
    memcpy(line, "HTTP/1.1 ", 9);
    hl += oe_fmt_dec(line + hl, (uint64_t)(s->status > 0 ? s->status % 1000 : 0));
    line[hl++] = ' ';
    memcpy(line + hl, reason, rlen);
    hl += rlen;
    memcpy(line + hl, "\r\nserver: odoh-edge\r\ndate: ", 27);
    hl += 27;
    memcpy(line + hl, date, dlen);
    hl += dlen;
    memcpy(line + hl, "\r\n", 2);
    hl += 2;
    int rc = oe_http__conn_send(c, line, hl);
    bool chunked = false;
    if (s->status != 304 && s->status != 204 && s->status >= 200 &&
        (!s->streamed || s->stream_length >= 0)) {
        memcpy(line, "content-length: ", 16);
        size_t k = 16 + oe_fmt_dec(line + 16, s->content_length);
        memcpy(line + k, "\r\n", 2);
        if (rc == 0)
            rc = oe_http__conn_send(c, line, k + 2);
    } else if (s->streamed && !s->no_body && s->stream_length < 0 && s->req.version == 11 &&
               s->status >= 200) {
        chunked = true;
        if (rc == 0)
            rc = oe_http__conn_send(c, "transfer-encoding: chunked\r\n", 28);
    }
    size_t pos = 0;
    const char *name, *value;
    while (rc == 0 && oe_http__stream_header(s, &pos, &name, &value)) {
        rc = oe_http__conn_send(c, name, strlen(name));
        if (rc == 0)
            rc = oe_http__conn_send(c, ": ", 2);
        if (rc == 0)
            rc = oe_http__conn_send(c, value, strlen(value));
        if (rc == 0)
            rc = oe_http__conn_send(c, "\r\n", 2);
    }
    /* Draining: the last response here, unless the connection can move on. */
    /* A streamed request body still arriving, or a streamed response of unknown length to an
     * HTTP/1.0 client, ends the connection too. */
    h->closing = !h->keep_alive || h->close_after ||
                 (c->w->stopping && !oe_http__conn_may_migrate(c)) || h->body_streaming ||
                 (s->streamed && !s->no_body && s->stream_length < 0 && !chunked);
    h->chunked = chunked;
    /* 101: the connection becomes the tunnel and ends with it; the handler wrote Connection:
     * upgrade and Upgrade. */
    if (rc == 0 && h->closing && !(h->tunnel && s->status == 101))
        rc = oe_http__conn_send(c, "connection: close\r\n", 19);
    if (rc == 0)
        rc = oe_http__conn_send(c, "\r\n", 2);
    if (rc < 0)
        return;
    h->streaming = true;
    /* From here the client must keep taking bytes: send-timeout without progress closes. */
    h->sent_at = uv_now(&c->w->loop);
    if (s->streamed) { /* the body comes through stream_write; stream_end finishes */
        h->sock_sent = oe_http__conn_sent(c);
        oe_http__conn_set_timer(c, send_poll(c));
        oe_http__conn_flush(c);
        return;
    }
    if (write_body(h)) {
        /* Queued whole (the usual small response): the keep-alive timer runs next, and the
         * progress sample, an ioctl, is taken only if a time-out finds bytes still queued
         * (UINT64_MAX: unknown, counts as progress once). */
        h->sock_sent = UINT64_MAX;
        done(h);
    } else {
        /* write_body only queued bytes: the sample is the same as before it. */
        h->sock_sent = oe_http__conn_sent(c);
        oe_http__conn_set_timer(c, send_poll(c));
    }
    oe_http__conn_flush(c);
}

static void h1_stream_write(stream_t *s, const void *p, size_t n)
{
    h1_t *h = s->c->engine;
    if (h == NULL || s != &h->s || !h->streaming)
        return;
    if (h->chunked) { /* one TLS record for the chunk and its framing */
        oe_buf_t b = {0};
        oe_buf_printf(&b, "%zx\r\n", n);
        oe_buf_append(&b, p, n);
        oe_buf_append(&b, "\r\n", 2);
        int rc = oe_http__conn_send(s->c, b.base, b.len);
        oe_buf_free(&b);
        if (rc < 0)
            return;
    } else if (oe_http__conn_send(s->c, p, n) < 0) {
        return;
    }
    oe_http__conn_flush(s->c);
}

static bool h1_stream_room(stream_t *s)
{
    h1_t *h = s->c->engine;
    if (h == NULL || s != &h->s)
        return true;
    bool room = oe_http__conn_queued(s->c) < OE_HTTP_OUT_HIGH;
    if (!room)
        h->want_writable = true;
    return room;
}

static void h1_stream_end(stream_t *s)
{
    h1_t *h = s->c->engine;
    if (h == NULL || s != &h->s || !h->streaming)
        return;
    conn_t *c = s->c;
    if (h->chunked && oe_http__conn_send(c, "0\r\n\r\n", 5) < 0) /* no trailers */
        return;
    done(h);
    oe_http__conn_flush(c);
}

static void h1_stream_reset(stream_t *s)
{
    h1_t *h = s->c->engine;
    if (h == NULL || s != &h->s)
        return;
    h->close_after = true;
    oe_http__conn_close(s->c);
}

static void h1_body_ack(stream_t *s, size_t n)
{
    h1_t *h = s->c->engine;
    if (h == NULL || s != &h->s)
        return;
    h->body_held -= OE_MIN(n, h->body_held);
    if (h->body_streaming && h->body_held < BODY_HELD_HIGH) {
        run(h);
        if (h->pending.len <= pending_cap(s->c))
            oe_http__conn_resume_read(s->c);
    }
}

static void h1_drain(conn_t *c)
{
    h1_t *h = c->engine;
    if (h == NULL || !h->streaming)
        return;
    h->sent_at = uv_now(&c->w->loop); /* a write completed */
    h->sock_sent = oe_http__conn_sent(c);
    if (h->s.streamed) {
        if (h->want_writable && oe_http__conn_queued(c) < OE_HTTP_OUT_HIGH && !h->s.ended &&
            h->s.req.on_writable != NULL) {
            h->want_writable = false;
            h->s.req.on_writable(&h->s.req);
        }
        oe_http__conn_flush(c);
        return;
    }
    if (write_body(h))
        done(h);
    oe_http__conn_flush(c); /* what write_body queued, done or not */
}

/* Progress (bytes the client acknowledged, oe_http__conn_sent) is sampled every quarter of
 * send-timeout, so a stalled response is closed within 1.25 x send-timeout. */
static uint64_t send_poll(const conn_t *c)
{
    return OE_MAX(c->l->conf->send_timeout / 4, (uint64_t)1);
}

/* The connection's timer fired. While a response is on its way it is the send deadline: the
 * client taking any of it since the last look is progress, and only send-timeout without any
 * closes. Otherwise: keep-alive expiry (or the drain's grace) closes gracefully; the header and
 * handler time-outs close. */
static void h1_timeout(conn_t *c)
{
    h1_t *h = c->engine;
    if (h->streaming && h->s.streamed && !h->s.ended && oe_http__conn_queued(c) == 0) {
        /* A streamed response waits for its source, not for the client: the handler's own
         * time-outs apply. */
        h->sent_at = uv_now(&c->w->loop);
        h->sock_sent = oe_http__conn_sent(c);
        oe_http__conn_set_timer(c, send_poll(c));
        return;
    }
    if (h->streaming || oe_http__conn_queued(c) > 0) {
        uint64_t now = uv_now(&c->w->loop), sent = oe_http__conn_sent(c);
        if (sent != h->sock_sent) {
            h->sock_sent = sent;
            h->sent_at = now;
        }
        uint64_t due = h->sent_at + c->l->conf->send_timeout;
        if (due > now) {
            oe_http__conn_set_timer(c, OE_MIN(due - now, send_poll(c)));
            return;
        }
        oe_log_debug(TAG, "send deadline passed");
        oe_http__conn_close(c);
        return;
    }
    if (h1_idle(c) && h->served) { /* keep-alive time-out, or the drain's grace */
        oe_http__conn_close_graceful(c);
        return;
    }
    oe_log_debug(TAG, "connection timed out");
    oe_http__conn_close(c);
}

const proto_t oe_http__h1 = {
    .init = h1_init,
    .input = h1_input,
    .drain = h1_drain,
    .abort = h1_abort,
    .idle = h1_quiescent,
    .goaway = h1_drain_start,
    .timeout = h1_timeout,
    .adopt = h1_adopt,
    .free = h1_free,
    .submit = submit,
    .stream_write = h1_stream_write,
    .stream_room = h1_stream_room,
    .stream_end = h1_stream_end,
    .stream_reset = h1_stream_reset,
    .body_ack = h1_body_ack,
};
