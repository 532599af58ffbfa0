/*
 * Shared by the outbound client's unit test and fuzz driver: modules/http/client.c included (h2o's
 * t/00unit style) so that its statics are reachable, and a connection and calls made as the client
 * makes them, without a socket. The protocol files (client_h1.c, client_h2.c) are reached through
 * client_int.h and linked from the library.
 */
#ifndef OE_TEST_HTTP_CLIENT_CONN_H
#define OE_TEST_HTTP_CLIENT_CONN_H

#include "http/client.c"

/* A connection to t.test:443 as cconn_open makes it, after its handshake, with no socket behind
 * it: its handles are real but never connected, so what it would send fails at the TLS layer. The
 * caller sets proto (1, or 2 through oe_http__client_h2_start). Owned by c, freed when it closes.
 */
static cconn_t *test_client_conn(oe_http_client_t *c, uv_loop_t *loop, oe_tls_client_t *tls)
{
    cconn_t *k = oe_calloc(1, sizeof(*k));
    k->c = c;
    k->host = oe_strdup("t.test");
    struct sockaddr_in *sin = (struct sockaddr_in *)&k->addr;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(443);
    k->tls = oe_tls_conn_new_client(tls, "t.test");
    uv_tcp_init(loop, &k->tcp);
    uv_timer_init(loop, &k->timer);
    k->tcp.data = k->timer.data = k;
    k->handles = 2;
    oe_list_init(&k->calls);
    oe_list_init(&k->finished);
    oe_list_insert_head(&c->conns, &k->link);
    return k;
}

/* A POST /dns-query as oe_http_client_request makes it, pending for k's destination and not yet
 * sent. cb gets data (borrowed) once. Owned by c, freed after its completion. */
static oe_http_call_t *test_client_call(oe_http_client_t *c, cconn_t *k, oe_http_client_cb cb,
                                        void *data)
{
    oe_http_call_t *x = oe_calloc(1, sizeof(*x));
    x->c = c;
    x->cb = cb;
    x->data = data;
    x->host = oe_strdup("t.test");
    x->method = oe_strdup("POST");
    x->path = oe_strdup("/dns-query");
    x->addr = k->addr;
    uv_timer_init(c->loop, &x->timer);
    x->timer.data = x;
    c->ncalls++;
    call_link(x, IN_PENDING);
    return x;
}

#endif
