/* The outbound client's response parsing (client.c, included so that its static paths can be
 * driven without a socket; client_h1.c through client_int.h): a response fed as plaintext to a
 * connection that has one call waiting, whole or split at every byte, as a socket may deliver it.
 * Exact status, body and headers, or the exact error. */
#include "lib/http_client_conn.h"
#include "unit/test.h"

typedef struct result {
    int calls, status;
    char body[64];
    char headers[128]; /* "name=value;" in order */
} result_t;

static void on_result(void *data, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    result_t *r = data;
    r->calls++;
    r->status = status;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)body.len, (const char *)body.base);
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof(r->headers); i++)
        used += (size_t)snprintf(r->headers + used, sizeof(r->headers) - used, "%.*s=%.*s;",
                                 (int)h[i].name.len, (const char *)h[i].name.base,
                                 (int)h[i].value.len, (const char *)h[i].value.base);
}

/* Feeds text to a fresh HTTP/1.1 connection in pieces of at most step bytes (0: whole), then
 * close_notify when eof, and runs the loop until everything has closed. */
static result_t feed(const char *text, size_t step, bool eof)
{
    static oe_tls_client_t *tls;
    if (tls == NULL) {
        oe_tls_client_opts_t o = {.insecure = true};
        tls = oe_tls_client_new(&o, NULL);
        CHECK(tls != NULL);
    }
    result_t r = {0};
    uv_loop_t loop;
    CHECK_INT(uv_loop_init(&loop), 0);
    oe_http_client_conf_t conf = {.tls = tls, .max_response = 32};
    oe_http_client_t *c = oe_http_client_new(&loop, &conf);
    cconn_t *k = test_client_conn(c, &loop, tls);
    k->proto = 1;
    /* One call, assigned to k without being sent. */
    oe_http_call_t *x = test_client_call(c, k, on_result, &r);
    oe_http__client_call_assign(x, k);
    oe_http__client_h1_reset(k);

    size_t n = strlen(text);
    for (size_t off = 0; off < n && !k->closing;) {
        size_t len = step == 0 ? n - off : OE_MIN(step, n - off);
        if (plaintext(k, (const uint8_t *)text + off, len) < 0)
            oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
        off += len;
    }
    if (eof && !k->closing)
        oe_http__client_h1_eof(k);
    if (!k->closing)
        oe_http__client_conn_close(k, OE_HTTPC_EPROTO); /* an unfinished response is a truncation */
    uv_run(&loop, UV_RUN_NOWAIT); /* results recorded for later are delivered */
    oe_http_client_close(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    return r;
}

/* The same response must give the same result however it is split. */
static void check(const char *text, bool eof, int status, const char *body, const char *headers)
{
    for (size_t step = 0; step <= 3; step++) {
        result_t r = feed(text, step, eof);
        CHECK_INT(r.calls, 1);
        CHECK_INT(r.status, status);
        CHECK_STR(r.body, body);
        CHECK_STR(r.headers, headers);
    }
}

TEST(http_client_parses_a_response_split_anywhere)
{
    check("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Answer: B c\r\n\r\nhello", false, 200, "hello",
          "content-length=5;x-answer=B c;");
    check("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", false, 404, "",
          "content-length=0;");
    check("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
          false, 200, "abcde", "transfer-encoding=chunked;");
}

TEST(http_client_skips_interim_responses)
{
    check("HTTP/1.1 100 Continue\r\nx-i: 1\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
          false, 200, "ok", "content-length=2;");
}

TEST(http_client_body_delimited_by_close_needs_close_notify)
{
    check("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc", true, 200, "abc", "connection=close;");
    /* Without close_notify the end may be a truncation (RFC 9112 9.8). */
    check("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc", false, OE_HTTPC_EPROTO, "",
          "connection=close;"); /* a failure still shows the headers that arrived, no body */
}

TEST(http_client_refuses_malformed_and_oversized_responses)
{
    check("XTTP/1.1 200 OK\r\n\r\n", false, OE_HTTPC_EPROTO, "", "");
    check("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel", false, OE_HTTPC_EPROTO, "",
          "content-length=5;");
    /* max_response = 32 here. */
    check("HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n0123456789012345678901234567890123456789",
          false, OE_HTTPC_ETOOBIG, "", "content-length=40;");
}
