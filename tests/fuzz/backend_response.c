/*
 * libFuzzer target: the reverse proxy's backend connections (modules/http/backend.c, included so
 * that its statics are reachable): llhttp's response parsing as backend.c drives it, interim 1xx
 * responses, bodies by length, chunks or close, trailers, a 101 switching to a tunnel, bytes after
 * the end, and the callbacks' order and lifetimes (a callback may cancel the exchange). The first
 * input byte picks the request: bit 0 HEAD, bit 1 an upgrade (OE_BACKEND_TUNNEL), bit 2 the body
 * callback cancels; the second where the rest is split into two reads; then the end of the
 * stream. No socket: the connection's handles are real but never connected.
 */
#include "http/backend.c"

static oe_backend_x_t *live;
static bool cancel_in_body;
static uint64_t sink;

static void fz_head(void *data, int status, const oe_header_t *h, size_t n, int64_t length)
{
    (void)data;
    if (status < 100 || status > 999)
        abort();
    for (size_t i = 0; i < n; i++) /* everything handed over must be readable */
        sink += (h[i].name.len ? h[i].name.base[0] : 0) +
                (h[i].value.len ? h[i].value.base[h[i].value.len - 1] : 0);
    sink += (uint64_t)length;
}

static void fz_body(void *data, const uint8_t *p, size_t n)
{
    (void)data;
    if (n == 0)
        abort(); /* empty pieces are never delivered */
    sink += p[0] + p[n - 1];
    if (cancel_in_body && live != NULL) {
        oe_backend_x_t *x = live;
        live = NULL;
        oe_backend_cancel(x);
    }
}

static void fz_end(void *data)
{
    (void)data;
    live = NULL;
}

static void fz_error(void *data, int err)
{
    (void)data;
    if (err != OE_BACKEND_ECONNECT && err != OE_BACKEND_ETIMEOUT && err != OE_BACKEND_EPROTO &&
        err != OE_BACKEND_ECLOSED)
        abort();
    live = NULL;
}

static void fz_written(void *data, size_t n)
{
    (void)data;
    sink += n;
}

static void fz_batch(void *data)
{
    (void)data;
    if (live == NULL)
        abort(); /* only while the exchange goes on */
}

static const oe_backend_cb_t cb = {fz_head, fz_body, fz_end, fz_error, fz_written, fz_batch};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        oe_log_open(NULL, OE_LOG_ERROR, OE_LOG_TEXT);
        once = true;
    }
    if (size < 2)
        return 0;
    uint8_t mode = data[0], split = data[1];
    data += 2, size -= 2;

    uv_loop_t loop;
    uv_loop_init(&loop);
    oe_backend_pool_t *pool = oe_backend_pool_new(&loop);
    /* A connection as conn_new makes it, but never connected. */
    bconn_t *c = oe_calloc(1, sizeof(*c));
    c->pool = pool;
    pool->nconns++;
    uv_timer_init(&loop, &c->timer);
    uv_tcp_init(&loop, &c->h.tcp);
    c->timer.data = c->h.handle.data = c;
    c->handles = 2;
    oe_backend_x_t *x = oe_calloc(1, sizeof(*x));
    x->cb = &cb;
    x->t = (oe_backend_timeouts_t){1000, 1000, 1000};
    x->head_method = mode & 1;
    x->body_length = (mode & 2) ? OE_BACKEND_TUNNEL : 0;
    x->req_done = x->body_length == 0;
    oe_buf_append(&x->head, "GET / HTTP/1.1\r\n\r\n", 18);
    cancel_in_body = mode & 4;
    live = x;
    attach(c, x);

    size_t cut = size > 0 ? split % (size + 1) : 0;
    if (live != NULL && cut > 0)
        plain_input(c, (const char *)data, cut);
    if (live != NULL && cut < size)
        plain_input(c, (const char *)data + cut, size - cut);
    if (live != NULL)
        plain_eof(c);
    if (live != NULL) /* still waiting (a tunnel or a head not yet complete) */
        oe_backend_cancel(live);
    live = NULL;
    if (!c->closing && c->x == NULL && !c->idle)
        conn_close(c);
    oe_backend_pool_close(pool);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
