/*
 * The outbound HTTPS client: pooled connections per (host, address), HTTP/2 with many streams per
 * connection when the server offers h2 by ALPN, HTTP/1.1 otherwise (one request at a time per
 * connection, a few connections per destination). TLS verification comes with the oe_tls_client_t
 * (system CA bundle or a configured CA file). Redirects are never followed: a 3xx is a response
 * like any other. One client per event loop, used from that loop's thread.
 */
#ifndef OE_HTTP_CLIENT_H
#define OE_HTTP_CLIENT_H

#include <sys/socket.h>

#include "core/oe.h"
#include "http/http.h"

struct uv_loop_s;
struct oe_tls_client;

/* Failures before a response status arrived (all map to 502 in a proxy, ETIMEOUT to 504). */
#define OE_HTTPC_ECONNECT (-(OE_ERR_BASE + 400)) /* TCP connect failed or was refused */
#define OE_HTTPC_ETLS     (-(OE_ERR_BASE + 401)) /* handshake or certificate verification */
#define OE_HTTPC_EPROTO   (-(OE_ERR_BASE + 402)) /* malformed or reset response */
#define OE_HTTPC_ETIMEOUT (-(OE_ERR_BASE + 403)) /* connect or request time-out */
#define OE_HTTPC_ETOOBIG  (-(OE_ERR_BASE + 404)) /* response body over the limit */
#define OE_HTTPC_EUNREACH (-(OE_ERR_BASE + 405)) /* no route to the address (e.g. no IPv6) */

typedef struct oe_http_client_conf {
    struct oe_tls_client *tls;   /* borrowed; thread-safe, shared by workers */
    uint64_t connect_timeout_ms; /* default 5000 */
    uint64_t request_timeout_ms; /* whole request, from the call; default 10000 */
    size_t max_response;         /* body bytes; default 65536 */
    unsigned max_h1_conns;       /* per destination; default 4 */
} oe_http_client_conf_t;

typedef struct oe_http_client oe_http_client_t;
typedef struct oe_http_call oe_http_call_t;

typedef struct oe_http_request {
    const char *host;            /* SNI, certificate name and authority (without port) */
    const struct sockaddr *addr; /* where to connect, with the port */
    const char *method;          /* "POST", "GET" */
    const char *path;            /* with the query */
    const oe_header_t *headers;  /* extra request headers, names lower-case; borrowed */
    size_t nheaders;
    oe_slice_t body; /* borrowed until the callback */
} oe_http_request_t;

/* status > 0: the response status, headers (lower-case names) and body, borrowed for the call.
 * status < 0: one of the codes above. */
typedef void (*oe_http_client_cb)(void *data, int status, const oe_header_t *headers, size_t n,
                                  oe_slice_t body);

oe_http_client_t *oe_http_client_new(struct uv_loop_s *loop, const oe_http_client_conf_t *conf);
/* Cancels every call (no callbacks) and closes the connections; freed once they are closed. */
void oe_http_client_close(oe_http_client_t *c);

/* Starts a request. The callback is always called later (never from inside this call), unless
 * the call is cancelled first. */
oe_http_call_t *oe_http_client_request(oe_http_client_t *c, const oe_http_request_t *r,
                                       oe_http_client_cb cb, void *data);
void oe_http_client_cancel(oe_http_call_t *call);

#endif
