/*
 * The outbound client's HTTP/2 (see client_int.h): the nghttp2 client session, request submission
 * and the callbacks that record each stream's response.
 */
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "http/client_int.h"

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
        oe_http__client_resp_header(x, name, namelen, value, valuelen);
    return 0;
}

static int client_h2_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                             size_t len, void *user)
{
    oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, id);
    if (x != NULL && oe_http__client_resp_body(x, data, len) < 0) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        oe_http__client_finish(x, OE_HTTPC_ETOOBIG);
    }
    return 0;
}

static int client_h2_on_close(nghttp2_session *s, int32_t id, uint32_t error, void *user)
{
    oe_http_call_t *x = nghttp2_session_get_stream_user_data(s, id);
    /* Only END_STREAM completes a response: RST_STREAM(NO_ERROR) before it cuts the body short
     * (RFC 9113 §8.1 allows that code only after a complete response). */
    if (x != NULL)
        oe_http__client_finish(x, error == NGHTTP2_NO_ERROR && x->ended && x->status >= 200
                                      ? x->status
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

void oe_http__client_h2_send(cconn_t *k)
{
    if (k->in_recv || k->closing)
        return;
    for (;;) {
        const uint8_t *data;
        nghttp2_ssize n = nghttp2_session_mem_send2(k->h2, &data);
        if (n < 0) {
            oe_http__client_conn_close(k, OE_HTTPC_EPROTO);
            return;
        }
        if (n == 0 || oe_http__client_send_plain(k, data, (size_t)n) < 0)
            return;
    }
}

/* nghttp2 copies names and values at submit time (no NO_COPY flags): they may live on the stack. */
static nghttp2_nv nv(const char *name, size_t nl, const char *value, size_t vl)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nl, vl, NGHTTP2_NV_FLAG_NONE};
}

void oe_http__client_h2_submit(cconn_t *k, oe_http_call_t *x)
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
        oe_http__client_fail_later(x, OE_HTTPC_EPROTO);
        return;
    }
    oe_http__client_call_assign(x, k);
    x->stream = id;
}

int oe_http__client_h2_start(cconn_t *k)
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

int oe_http__client_h2_input(cconn_t *k, const uint8_t *p, size_t n)
{
    k->in_recv = true;
    nghttp2_ssize rc = nghttp2_session_mem_recv2(k->h2, p, n);
    k->in_recv = false;
    if (rc < 0)
        return OE_HTTPC_EPROTO;
    oe_http__client_deliver(k);
    if (k->closing)
        return 0;
    oe_http__client_h2_send(k);
    if (k->goaway && oe_list_empty(&k->calls))
        return OE_HTTPC_EPROTO;
    return 0;
}
