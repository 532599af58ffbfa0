/*
 * Internal to the outbound client (client.c, client_h1.c, client_h2.c): the structures the three
 * files share and what each exports to the others, all with the oe_http__client_ prefix.
 * client.c holds the pool, calls, connections, TLS and its sessions, reading and writing;
 * client_h1.c the HTTP/1.1 request writing and llhttp response parsing; client_h2.c the nghttp2
 * session. Nothing here is for other units: they use client.h.
 */
#ifndef OE_HTTP_CLIENT_INT_H
#define OE_HTTP_CLIENT_INT_H

#include <llhttp.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/list.h"
#include "http/client.h"
#include "tls/tls.h"

#define TAG "http-client"

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

static inline oe_http_call_t *oe_http__client_call_of(oe_list_t *n)
{
    return OE_LIST_ENTRY(n, oe_http_call_t, link);
}

/* ---- client.c, for the protocol files ---- */

/* Gives each pending call a connection that can take it, opening connections as needed. */
void oe_http__client_pump(oe_http_client_t *c);
/* Closes k; its calls fail later (no callback runs from here). */
void oe_http__client_conn_close(cconn_t *k, int err);
/* Assigns pending call x to connection k. */
void oe_http__client_call_assign(oe_http_call_t *x, cconn_t *k);
/* Records x's result for delivery from the loop: no callback runs from here. */
void oe_http__client_fail_later(oe_http_call_t *x, int result);
/* Records x's result inside a parser callback; delivered by oe_http__client_deliver. */
void oe_http__client_finish(oe_http_call_t *x, int result);
/* Delivers the results k's parser recorded (after the parser has returned). */
void oe_http__client_deliver(cconn_t *k);
/* Appends a response header (copied) to x. */
void oe_http__client_resp_header(oe_http_call_t *x, const uint8_t *n, size_t nl, const uint8_t *v,
                                 size_t vl);
/* Appends response body bytes (copied); OE_HTTPC_ETOOBIG beyond the client's max_response. */
int oe_http__client_resp_body(oe_http_call_t *x, const uint8_t *p, size_t n);
/* Encrypts p (copied) for k; -1 after closing k when TLS refuses it. */
int oe_http__client_send_plain(cconn_t *k, const void *p, size_t n);

/* ---- client_h1.c ---- */

/* Writes x's request to k (x is assigned to k) and readies the parser for its response. */
void oe_http__client_h1_submit(cconn_t *k, oe_http_call_t *x);
/* Readies k's parser for the next response. */
void oe_http__client_h1_reset(cconn_t *k);
/* Plaintext p (borrowed) from the server; a negative error closes k. */
int oe_http__client_h1_input(cconn_t *k, const uint8_t *p, size_t n);
/* The server sent close_notify. */
void oe_http__client_h1_eof(cconn_t *k);

/* ---- client_h2.c ---- */

/* Makes k an HTTP/2 connection (proto 2) with its SETTINGS queued; -1 when nghttp2 cannot. */
int oe_http__client_h2_start(cconn_t *k);
/* Submits x's request on k; a failure is delivered later, as fail_later does. */
void oe_http__client_h2_submit(cconn_t *k, oe_http_call_t *x);
/* Hands what nghttp2 has to send to TLS (not while inside mem_recv, nor once closing). */
void oe_http__client_h2_send(cconn_t *k);
/* Plaintext p (borrowed) from the server; a negative error closes k. */
int oe_http__client_h2_input(cconn_t *k, const uint8_t *p, size_t n);

#endif
