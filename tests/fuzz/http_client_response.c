/*
 * libFuzzer target: the outbound client's response path (modules/http/client.c, included so its
 * statics are reachable; client_h1.c and client_h2.c through client_int.h): llhttp's response
 * parsing and the HTTP/2 client session's frames, the header and body limits, completion and
 * delivery. The first input byte picks the protocol (bit 0: HTTP/2) and one or two calls in flight
 * (bit 1); the rest is the plaintext the server sent, as it would arrive after TLS. No socket: the
 * connection's handles are real but never connected, and what the client would send fails at the
 * TLS layer, which only closes the connection.
 */
#include "lib/http_client_conn.h"

static oe_tls_client_t *tls;
static int results;

static void on_done(void *data, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    results++;
    /* Everything handed over must be readable. */
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n; i++)
        sink ^= (uint8_t)(h[i].name.len ? h[i].name.base[0] : 0) ^
                (uint8_t)(h[i].value.len ? h[i].value.base[h[i].value.len - 1] : 0);
    if (body.len > 0)
        sink ^= body.base[0] ^ body.base[body.len - 1];
    (void)sink;
}

/* A call assigned to k (HTTP/2: submitted) without being sent. */
static void add_call(oe_http_client_t *c, cconn_t *k)
{
    oe_http_call_t *x = test_client_call(c, k, on_done, NULL);
    if (k->proto == 2) {
        oe_http__client_h2_submit(k, x);
    } else {
        oe_http__client_call_assign(x, k);
        oe_http__client_h1_reset(k);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (tls == NULL) {
        oe_log_open(NULL, OE_LOG_ERROR, OE_LOG_TEXT);
        oe_tls_client_opts_t o = {.insecure = true};
        tls = oe_tls_client_new(&o, NULL);
        if (tls == NULL)
            abort();
    }
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;

    uv_loop_t loop;
    uv_loop_init(&loop);
    oe_http_client_conf_t conf = {.tls = tls, .max_response = 2048};
    oe_http_client_t *c = oe_http_client_new(&loop, &conf);
    cconn_t *k = test_client_conn(c, &loop, tls);
    if (mode & 1) {
        if (oe_http__client_h2_start(k) < 0)
            abort();
    } else {
        k->proto = 1;
    }
    add_call(c, k);
    if ((mode & 2) && k->proto == 2)
        add_call(c, k);

    /* Two reads, split where the second byte says, as a socket may deliver them. */
    size_t cut = size > 1 ? data[0] % size : size;
    if (plaintext(k, data, cut) < 0)
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
    if (!k->closing && cut < size && plaintext(k, data + cut, size - cut) < 0)
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
    if (!k->closing && k->proto == 1)
        oe_http__client_h1_eof(k);
    oe_http_client_close(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
