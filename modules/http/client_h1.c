/*
 * The outbound client's HTTP/1.1 (see client_int.h): the request written as text and llhttp's
 * parsing of the response, one call at a time per connection.
 */
#include <llhttp.h>
#include <string.h>

#include "core/net.h"
#include "http/client_int.h"

static llhttp_settings_t client_h1_settings;

static oe_http_call_t *client_h1_call(llhttp_t *p)
{
    cconn_t *k = p->data;
    return oe_list_empty(&k->calls) ? NULL : oe_http__client_call_of(k->calls.next);
}

static int client_h1_on_field(llhttp_t *p, const char *at, size_t len)
{
    oe_http_call_t *x = client_h1_call(p);
    if (x == NULL)
        return -1;
    if (x->rlast != 1) {
        oe_http__client_resp_header(x, (const uint8_t *)"", 0, (const uint8_t *)"", 0);
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
    int rc = oe_http__client_resp_body(x, (const uint8_t *)at, len);
    if (rc < 0)
        oe_http__client_finish(x, rc); /* delivered as it is when the connection closes */
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
    oe_http__client_finish(
        x,
        x->status); /* delivered by oe_http__client_h1_input() once llhttp_execute has returned */
    return HPE_PAUSED;
}

void oe_http__client_h1_reset(cconn_t *k)
{
    llhttp_init(&k->parser, HTTP_RESPONSE, &client_h1_settings);
    k->parser.data = k;
}

void oe_http__client_h1_submit(cconn_t *k, oe_http_call_t *x)
{
    oe_http__client_call_assign(x, k);
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
    oe_http__client_h1_reset(k);
    oe_http__client_send_plain(k, b.base, b.len);
    oe_buf_free(&b);
}

int oe_http__client_h1_input(cconn_t *k, const uint8_t *p, size_t n)
{
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
    oe_http__client_deliver(k);
    if (k->closing)
        return 0;
    if (k->goaway && oe_list_empty(&k->calls))
        return OE_HTTPC_EPROTO; /* closes without failing anything */
    oe_http__client_pump(k->c);
    return 0;
}

/* The server sent close_notify: a response delimited by the end of the connection is complete
 * now (RFC 9112 §6.3). A TCP end without close_notify may be a truncation (§9.8): not complete. */
void oe_http__client_h1_eof(cconn_t *k)
{
    if (k->proto == 1 && !oe_list_empty(&k->calls) && llhttp_finish(&k->parser) == HPE_PAUSED) {
        k->goaway = true;
        oe_http__client_deliver(k);
    }
}

__attribute__((constructor)) static void setup_h1(void)
{
    llhttp_settings_init(&client_h1_settings);
    client_h1_settings.on_header_field = client_h1_on_field;
    client_h1_settings.on_header_value = client_h1_on_value;
    client_h1_settings.on_headers_complete = client_h1_on_headers;
    client_h1_settings.on_body = client_h1_on_body;
    client_h1_settings.on_message_complete = client_h1_on_complete;
}
