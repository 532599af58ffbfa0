/*
 * Internals shared by the units of the http module: configuration, server, connections and the
 * two protocol engines. Nothing outside modules/http includes this.
 */
#ifndef OE_HTTP_INT_H
#define OE_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "core/conf.h"
#include "core/oe.h"
#include "http/http.h"
#include "tls/tls.h"

#define TAG "http"

/* [listen "name"]: one or more addresses sharing protocol and limits. */
typedef struct oe_listen_conf {
    const char *name;
    oe_addrlist_t addresses;
    bool tls;                  /* HTTPS (default) or plain HTTP */
    bool redirect;             /* plain HTTP: redirect to https (except /.well-known/) */
    long long https_port;      /* port in redirects; 0 = the first TLS listener's */
    long long max_connections; /* per listener, all workers together */
    uint64_t handshake_timeout, header_timeout, keepalive_timeout; /* ms */
    uint64_t send_timeout, body_timeout;                           /* ms without progress */
    uint64_t max_header_size, max_url_size, max_body_size;
    uint64_t max_buffered_body; /* HTTP/2: request body bytes held per connection */
    long long max_headers, max_streams, max_pipelined;
    unsigned line;
} oe_listen_conf_t;

/* A route: site (NULL = any), path prefix, allowed methods, handler. */
typedef struct route {
    const oe_site_t *site;
    char *prefix;
    size_t prefix_len;
    unsigned methods;
    oe_handler_fn fn;
    void *data;
} route_t;

/* Per-certificate data: the site that brought it (whose origin setting applies) and the ORIGIN
 * frame payload for each listener, computed once at load. */
typedef struct cert_info {
    const oe_tls_cert_t *cert;
    const char *file;       /* PEM path, for messages */
    const oe_site_t *owner; /* the first site using this certificate */
    oe_buf_t *origin;       /* per listener index: encoded entries (RFC 8336 §2) */
    bool send_origin;       /* false with origin = off */
    oe_buf_t pem;           /* the certificate file as loaded: is a reload's the same? */
} cert_info_t;

typedef struct worker worker_t;
typedef struct lsock lsock_t; /* a listening address shared across generations (sockets.c) */

struct oe_http {
    oe_conf_t *cf;
    const oe_listen_conf_t **listens;
    size_t nlistens;
    const oe_site_t **sites;
    size_t nsites;
    oe_tls_server_t *tls;
    cert_info_t *certs;
    size_t ncerts;
    route_t *routes;
    size_t nroutes;
    unsigned nworkers;
    worker_t *workers;
    oe_http_worker_hook_t hooks[8];
    size_t nhooks;
    uint64_t shutdown_timeout;
    atomic_long *nconns; /* per listens[i]: open connections, all workers together (a long:
                          * lock-free on 32-bit targets too) */
    oe_runtime_t *rt;
    lsock_t **socks; /* per address, in [listen] and address order, while started */
    size_t nsocks;
    bool started;
    bool hurry; /* stopping the process, not a reload: drain without waiting for idleness */
};

typedef struct conn conn_t;

/* A worker thread: its loop, listeners and connections. */
typedef struct listener {
    uv_tcp_t tcp; /* on a dup() of a shared listening socket */
    const lsock_t *sock;
    worker_t *w;
    const oe_listen_conf_t *conf;
    size_t listen_index; /* of conf in http->listens */
    bool held;           /* a connection waits inside libuv for a free descriptor */
} listener_t;

/* Per worker and [listen] section (the count itself is http->nconns, for all workers). */
typedef struct listen_count {
    uint64_t limit_logged; /* loop time of the last "max-connections reached" line */
} listen_count_t;

typedef struct handoff handoff_t;

struct worker {
    oe_http_t *http;
    unsigned id;
    unsigned index; /* in http->workers */
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t wake;
    uv_timer_t drain;    /* the generation's deadline: close what is left */
    uv_timer_t late;     /* near the deadline: stop waiting for connections to go idle */
    uv_timer_t backoff;  /* retries held listeners while descriptors are exhausted */
    uv_timer_t trim;     /* no connection for a while: return freed memory (on_trim) */
    uv_timer_t tidy;     /* every OE_HTTP_TIDY_MS: trims connections idle since the last round */
    uint64_t fds_logged; /* loop time of the last "out of descriptors" line */
    uint64_t reads;      /* socket reads with data (oe_req_t.read_seq) */
    struct h2_stream *h2_spare; /* freed HTTP/2 streams kept for reuse (h2.c), a list */
    unsigned h2_nspare;
    uv_async_t adopt; /* connections handed over by an older generation's workers */
    handoff_t *inbox; /* under the hand-over lock (conn.c) */
    listener_t *listeners;
    size_t nlisteners;
    listen_count_t *counts; /* per [listen] section */
    conn_t *conns;          /* doubly linked list */
    size_t nconns;
    bool stopping;
    bool hurry;         /* draining without waiting for idleness (process stop, or late) */
    bool wake_closed;   /* under the hand-over lock: the loop is ending */
    atomic_bool exited; /* the thread has left its loop; joining it does not wait */
    void *hook_state[8];
    char date[40]; /* cached IMF-fixdate */
    uint64_t date_at;
};

typedef struct proto proto_t;

struct conn {
    uv_tcp_t tcp;
    worker_t *w;
    listener_t *l;
    oe_tls_conn_t *tls;
    const proto_t *proto;    /* the protocol engine, chosen by ALPN (HTTP/1.1 without TLS) */
    void *engine;            /* its state, NULL until its init succeeded or after it moved */
    const cert_info_t *cert; /* TLS: the certificate chosen by SNI */
    size_t listen_index;     /* index of c->l->conf in http->listens */
    char *sni;               /* TLS: the server name the client sent, lower-case, or NULL */
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    uint8_t *wbuf; /* bytes of the write in flight */
    size_t wlen, wcap;
    uint64_t sent;   /* bytes the socket took in completed writes */
    uint32_t writes; /* completed writes (on_write), counted up to a small bound */
    oe_buf_t out;    /* plain connections: bytes waiting to be written */
    conn_t *prev, *next;
    int handles; /* open uv handles; freed when 0 */
    bool writing, closing, read_paused, handshake_done, close_after_write;
    bool notified;         /* close_notify queued */
    bool no_migrate;       /* draining: cannot move to the live generation (see conn_migrate) */
    bool lingering;        /* everything sent, FIN sent: reading until the client closes too */
    bool tls_error;        /* the TLS engine failed: no close_notify */
    bool active;           /* read or wrote since the worker's last tidy round */
    bool dirty;            /* read or wrote since its memory was last trimmed */
    uint64_t linger_bytes; /* lingering: bytes read and dropped */
};

/* Draining (a reload retired the worker's generation): a connection moves to a worker of the live
 * generation the moment it is quiescent (no request in progress, nothing to write); one that
 * cannot move and has been idle this long is closed (HTTP/1.1, with close_notify) or sent GOAWAY
 * (HTTP/2); a busy one keeps being served until then, or until the late timer, some time before
 * the deadline. */
#define OE_HTTP_DRAIN_IDLE_MS 1000
/* HTTP/2 graceful GOAWAY: the final GOAWAY follows the first after a PING round trip, or this. */
#define OE_HTTP_GOAWAY_RTT_MS 1000
/* After the last byte and our FIN, how long we keep reading (and dropping) what the client still
 * sends, so that closing never resets a connection whose last response is still in flight. */
#define OE_HTTP_LINGER_MS 2000
/* ... and how many bytes (HTTP/2: of one stream's request body after its response). */
#define OE_HTTP_LINGER_BYTES (256 * 1024)

/* A worker without connections for this long returns freed memory to the system. */
#define OE_HTTP_TRIM_IDLE_MS 1000
/* A connection without reads or writes for one to two of these gives back the memory it can
 * (TLS record buffer pages, the engine's frame buffer, output buffers). */
#define OE_HTTP_TIDY_MS 1000

/* Bytes queued towards the socket above which producers pause. */
#define OE_HTTP_OUT_HIGH (256 * 1024)

/* origin.c: ORIGIN sets (RFC 8336) */
int oe_http__origins_build(oe_http_t *http);
void oe_http__origins_free(oe_http_t *http);
/* May connection c serve host? Its certificate must cover it, and with origin = self or a list,
 * host must be the SNI name or in the list. */
bool oe_http__origin_allows(const conn_t *c, oe_slice_t host);
/* The origin of host on a listener: "https://host" plus ":port" unless the port is 443. */
void oe_http__origin_of(char *out, size_t cap, const char *host, const oe_listen_conf_t *l);
int oe_http__origins_command(int argc, char **argv);
/* Do two sites use the same certificate (the same file, or both cert = auto)? */
bool oe_http__same_cert(const oe_site_t *a, const oe_site_t *b);
/* Config-time checks of a site's origin setting; cert is the loaded certificate (NULL for auto). */
int oe_http__origins_check(oe_conf_t *cf, const oe_conf_section_t *sec, const oe_site_t *site,
                           const oe_site_t *const *sites, size_t nsites, const oe_tls_cert_t *cert);

/* server.c: the module hooks */
int oe_http__init(oe_modctx_t *ctx);
int oe_http__start(oe_modctx_t *ctx);
void oe_http__stop(oe_modctx_t *ctx);
bool oe_http__stopped(oe_modctx_t *ctx);
void oe_http__destroy(oe_modctx_t *ctx);

/* sockets.c: listening sockets shared by generations (main thread only) */
/* Takes (creating or reusing) the sockets of every configured address, at least one per worker;
 * fails with -EADDRINUSE when another process listens on a new address. */
int oe_http__sockets_acquire(oe_http_t *http);
/* Gives them back; a socket no started generation uses any more is closed. */
void oe_http__sockets_release(oe_http_t *http);
size_t oe_http__socket_count(const lsock_t *s);
int oe_http__socket_dup(const lsock_t *s, size_t i); /* a new fd for the i-th socket, or -errno */
const char *oe_http__socket_text(const lsock_t *s);
/* Would listening on a and b conflict (same family and port; same address, or a wildcard)? */
bool oe_http__addr_overlap(const oe_sockaddr_t *a, const oe_sockaddr_t *b);

/* conn.c */
/* Queues plaintext for the next flush (TLS: sealed into records then). 0 or <0 (closing). */
int oe_http__conn_send(conn_t *c, const void *p, size_t n);
/* Room for n more bytes of output, to be filled in place (e.g. by pread) and then counted with
 * oe_http__conn_commit(c, used <= n); valid until the next call on c. NULL when c takes no more
 * output (closing). */
uint8_t *oe_http__conn_reserve(conn_t *c, size_t n);
void oe_http__conn_commit(conn_t *c, size_t n);
void oe_http__conn_flush(conn_t *c);
size_t oe_http__conn_queued(const conn_t *c);
/* Bytes the peer has acknowledged so far (written, less the kernel's unacknowledged send
 * queue): progress for the send deadlines. */
uint64_t oe_http__conn_sent(const conn_t *c);
void oe_http__conn_close(conn_t *c);
/* Sends what is queued, then close_notify, then FIN; closes once the client closes too (or after
 * OE_HTTP_LINGER_MS). */
void oe_http__conn_close_graceful(conn_t *c);
/* The worker is draining: ask the connection's engine to finish (see OE_HTTP_DRAIN_IDLE_MS). */
void oe_http__conn_drain(conn_t *c);
/* Draining, and the connection may still move to the live generation: answer without closing. */
bool oe_http__conn_may_migrate(conn_t *c);
/* The live generation, which takes the connections of draining ones (main thread). */
void oe_http__handoff_publish(oe_http_t *http);
void oe_http__handoff_withdraw(oe_http_t *http);
void oe_http__conn_set_timer(conn_t *c, uint64_t ms);
void oe_http__conn_pause_read(conn_t *c);
void oe_http__conn_resume_read(conn_t *c);
const char *oe_http__worker_date(worker_t *w);
int oe_http__worker_start(oe_http_t *http, worker_t *w, unsigned index);
void oe_http__worker_stop(worker_t *w);
void oe_http__worker_hurry(
    worker_t *w); /* after oe_http__worker_stop: the process stops, drain at once */

/* A request in flight, embedded at the start of each engine's stream struct so that an oe_req_t
 * pointer is also a stream pointer. The response is collected here, then handed to the engine. */
typedef struct stream stream_t;

/* A protocol engine (h1.c, h2.c). conn.c reaches an engine only through this table: it runs the
 * socket and TLS, the engine the protocol. The connection operations are called only while
 * c->engine is set (init sets it), except init and free. */
struct proto {
    int (*init)(conn_t *c);                              /* sets c->engine; <0: close */
    int (*input)(conn_t *c, const uint8_t *p, size_t n); /* plaintext; <0: close */
    void (*drain)(conn_t *c);   /* output went below OE_HTTP_OUT_HIGH: produce more */
    void (*abort)(conn_t *c);   /* the connection is closing: tell waiting handlers */
    bool (*idle)(conn_t *c);    /* nothing in progress: the connection may move as it is */
    void (*goaway)(conn_t *c);  /* the worker drains: finish (see OE_HTTP_DRAIN_IDLE_MS) */
    void (*timeout)(conn_t *c); /* the connection timer fired */
    void (*adopt)(conn_t *c);   /* the connection moved to another worker */
    void (*free)(conn_t *c);    /* releases c->engine (NULL: nothing) */
    void (*trim)(conn_t *c);    /* optional: idle for a while, give back memory it can */
    /* The handler finished the response: emit it (status, headers, then the body). With
     * s->streamed, the head only: the body follows through the operations below. */
    void (*submit)(stream_t *s);
    /* Streamed responses (oe_resp_stream_*): a body piece (copied), room for more, the end, an
     * abnormal end; and streamed request bodies: bytes the handler no longer holds. */
    void (*stream_write)(stream_t *s, const void *p, size_t n);
    bool (*stream_room)(stream_t *s);
    void (*stream_end)(stream_t *s);
    void (*stream_reset)(stream_t *s);
    void (*body_ack)(stream_t *s, size_t n);
};

/* h1.c and h2.c */
extern const proto_t oe_http__h1, oe_http__h2;
/* Frees the worker's spare HTTP/2 streams (idle, and when the worker ends). */
void oe_http__h2_spares_free(worker_t *w);

struct stream {
    oe_req_t req;
    const proto_t *proto;
    conn_t *c;
    /* response */
    int status;
    oe_buf_t hbuf; /* "name\0value\0" pairs */
    size_t nhdrs;
    oe_buf_t body; /* memory body */
    size_t body_pos;
    uint64_t content_length; /* of the representation, also for HEAD */
    bool no_body;            /* HEAD, 204, 304: headers only */
    int fd;                  /* file body, -1 when none */
    oe_blob_t *blob;         /* or a body shared by reference (a cached file), NULL when none */
    uint64_t file_off, file_left; /* of either */
    bool handled;                 /* a handler has the request */
    bool responded;               /* oe_resp_* was called (for a streamed response: its head) */
    bool ended;     /* the handler let go of the request (a response, or a stream's end) */
    bool aborted;   /* the client went away first */
    bool streamed;  /* oe_resp_stream_start: the body comes from the handler piece by piece */
    bool body_done; /* streamed: oe_resp_stream_end was called */
    int64_t stream_length; /* streamed: the declared body length, -1 unknown */
    /* req.authority points here: each request owns its host name for as long as it lives (a
     * per-thread buffer was overwritten by the next request while a handler still waited). */
    char authority[256];
};

void oe_http__stream_init(stream_t *s, const proto_t *proto, conn_t *c);
/* Releases the response buffers and the file. */
void oe_http__stream_release(stream_t *s);
/* The client went away: tell an async handler (once). */
void oe_http__stream_abort(stream_t *s);
/* Body bytes still to send. */
uint64_t oe_http__stream_body_left(const stream_t *s);
/* Copies up to cap body bytes into buf; returns the count or -errno (file read error). */
ssize_t oe_http__stream_body_read(stream_t *s, uint8_t *buf, size_t cap);
/* Iterates headers: returns false after the last. */
bool oe_http__stream_header(const stream_t *s, size_t *pos, const char **name, const char **value);

/* Dispatches a complete request: virtual host, 421, router, 405/404. */
void oe_http__dispatch(conn_t *c, stream_t *s);
/* Would a request for host (as sent), path (with or without the query) and method go to a route
 * that takes its body streamed (OE_M_STREAM)? Then the engine dispatches it at the end of its
 * header block. */
bool oe_http__streams(conn_t *c, oe_slice_t host, oe_slice_t path, oe_slice_t method);

/* The host an HTTP/1.0 request without Host is served as: over TLS the server name the client
 * sent (SNI), else the first host of the site whose certificate the handshake chose; on plain
 * HTTP the first host of the first site. Empty when there is no site. Borrowed from the
 * connection and the configuration. */
oe_slice_t oe_http__default_authority(const conn_t *c);

/* Lower-cases a Host/:authority value into dst and strips the port; false when invalid. */
bool oe_http__parse_authority(oe_slice_t value, char *dst, size_t cap, oe_slice_t *out);

#endif
