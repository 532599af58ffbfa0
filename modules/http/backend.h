/*
 * Streaming HTTP/1.1 connections to local backends (the reverse proxy's outbound side), pooled
 * per worker loop. Unlike the outbound client (client.h), which collects a whole bounded
 * response for the ODoH proxy, an exchange here streams both bodies piece by piece with
 * back-pressure: request body bytes are reported written only once the socket took them, and
 * reading the response stops while the caller is paused.
 *
 * One exchange at a time per connection; a connection whose exchange ended cleanly (response
 * complete, request fully written, keep-alive) waits in the pool for the next exchange to the
 * same destination. Callbacks run from the loop, never from inside llhttp, and never from
 * inside oe_backend_request; after oe_backend_cancel or the end/error callback, none follow.
 */
#ifndef OE_HTTP_BACKEND_H
#define OE_HTTP_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/oe.h"
#include "http/http.h"

struct uv_loop_s;

/* Failures (the error callback). Before the response head: 502, or 504 for ETIMEOUT. */
#define OE_BACKEND_ECONNECT (-(OE_ERR_BASE + 420)) /* connect failed or was refused */
#define OE_BACKEND_ETIMEOUT (-(OE_ERR_BASE + 421)) /* connect, first byte or idle time-out */
#define OE_BACKEND_EPROTO   (-(OE_ERR_BASE + 422)) /* malformed response */
#define OE_BACKEND_ECLOSED  (-(OE_ERR_BASE + 423)) /* closed or reset before the response ended */

/* body_length of oe_backend_request for an upgrade (the head asks for one: Connection: upgrade,
 * Upgrade: websocket): after a 101 response the connection is a tunnel, the body callback gets
 * the backend's raw bytes and oe_backend_write sends raw bytes, until either side closes (then
 * the end callback). Another status is an ordinary response, after which the connection closes.
 * A 101 to a request that did not ask for it is malformed (EPROTO). */
#define OE_BACKEND_TUNNEL (-2)

struct oe_tls_client;

typedef struct oe_backend_dest {
    bool unix_path;               /* a unix socket at path; else addr */
    struct oe_tls_client *tls;    /* HTTPS: the client context (borrowed, outlives the pool) */
    char name[256];               /* HTTPS: SNI and the name the certificate must have */
    struct sockaddr_storage addr; /* TCP: address and port */
    char path[108];               /* unix socket path */
} oe_backend_dest_t;

typedef struct oe_backend_timeouts {
    uint64_t connect;    /* ms to connect */
    uint64_t first_byte; /* ms from the end of the request to the response head */
    uint64_t idle;       /* ms without a byte in either direction otherwise */
} oe_backend_timeouts_t;

typedef struct oe_backend_cb {
    /* The response head: status >= 200 or 101 (interim 1xx responses are dropped), headers
     * with lower-case names borrowed for the call, length from content-length or -1 (chunked
     * or until close); for a HEAD request no body follows whatever it says. */
    void (*head)(void *data, int status, const oe_header_t *headers, size_t n, int64_t length);
    void (*body)(void *data, const uint8_t *p, size_t n); /* p borrowed for the call */
    void (*end)(void *data);                              /* the response is complete */
    void (*error)(void *data, int err);                   /* one of OE_BACKEND_E* */
    void (*written)(void *data, size_t n); /* n request body bytes went to the backend */
    /* After the head: the events of one read have been delivered and the exchange goes on (a
     * caller that held what came so far, e.g. to answer a small response in one piece, sends
     * it now). */
    void (*batch)(void *data);
} oe_backend_cb_t;

typedef struct oe_backend_pool oe_backend_pool_t;
typedef struct oe_backend_x oe_backend_x_t;

oe_backend_pool_t *oe_backend_pool_new(struct uv_loop_s *loop);
/* Cancels nothing (exchanges must be over or cancelled); closes the idle connections, and frees
 * the pool once every connection it made has closed. */
void oe_backend_pool_close(oe_backend_pool_t *p);

/* Starts an exchange: head is the request head up to and including its empty line (copied);
 * body_length is 0 without a body, N with "content-length: N" in head, -1 to have the body sent
 * with chunked transfer coding (head must then say "transfer-encoding: chunked"); head_method
 * tells that no response body follows. cb is borrowed for the exchange, data is the caller's.
 * A connection from the pool is used when one is idle for dest; a reused connection that
 * closes before any response byte is replaced once, for a request without a body. */
oe_backend_x_t *oe_backend_request(oe_backend_pool_t *p, const oe_backend_dest_t *dest,
                                   const oe_backend_timeouts_t *t, const void *head, size_t len,
                                   int64_t body_length, bool head_method, const oe_backend_cb_t *cb,
                                   void *data);
/* Request body bytes (copied); the written callback reports them once the socket took them. */
void oe_backend_write(oe_backend_x_t *x, const void *p, size_t n);
/* The request body is complete. */
void oe_backend_write_end(oe_backend_x_t *x);
/* Stops (true) or resumes reading the response, for back-pressure. */
void oe_backend_pause(oe_backend_x_t *x, bool paused);
/* Abandons the exchange: its connection closes; no callback follows. */
void oe_backend_cancel(oe_backend_x_t *x);

/* Whether two destinations are the same. */
bool oe_backend_dest_eq(const oe_backend_dest_t *a, const oe_backend_dest_t *b);

#endif
