/*
 * HTTP server: listeners, virtual hosts ([site]), one protocol-neutral request/response API over
 * HTTP/1.1 (llhttp) and HTTP/2 (nghttp2), and a router by host, path prefix and method.
 *
 * Threads. Each worker thread runs its own libuv loop and accepts from its own SO_REUSEPORT
 * socket of each address (the sockets outlive reloads); a request and everything about it lives
 * on the worker that accepted its connection. Handlers run
 * on that worker's loop and may answer later (after upstream I/O on req->loop), but only from
 * that loop's thread.
 *
 * Request lifetime. A handler gets a request that stays valid until it has sent a response
 * (oe_resp_send, oe_resp_send_file or oe_resp_error) or, if the client goes away first, until
 * req->on_abort has been called; after either, the handler must not touch req again.
 */
#ifndef OE_HTTP_H
#define OE_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/module.h"
#include "core/oe.h"

struct uv_loop_s;
struct oe_tls_cert;

/* ---- virtual hosts ------------------------------------------------------------------------ */

typedef enum oe_origin_mode {
    OE_ORIGIN_AUTO = 0, /* every served host the certificate covers */
    OE_ORIGIN_SELF,     /* an empty ORIGIN frame: only the SNI origin */
    OE_ORIGIN_OFF,      /* no ORIGIN frame */
    OE_ORIGIN_LIST,     /* the configured list */
} oe_origin_mode_t;

/* A [site "name"] section: a virtual host. Read-only after config load. */
typedef struct oe_site {
    const char *name;     /* section instance name */
    oe_strlist_t hosts;   /* host, then aliases; lower-case, no port, no trailing dot */
    const char *cert;     /* PEM certificate chain path, or NULL with cert_auto */
    const char *key;      /* PEM private key path */
    bool cert_auto;       /* cert = auto: a demo CA and leaf in the state folder */
    bool cert_acme;       /* cert = acme (modules/acme); cert_auto is set too: until the ACME
                           * certificate exists the site is served with a cert = auto leaf */
    int origin_mode;      /* oe_origin_mode_t */
    oe_strlist_t origins; /* origin = LIST entries as written */
    /* Static files (modules/website); root NULL = no static files for this site. */
    const char *root;
    const char *index;
    bool precompressed;
    bool open_file_cache;   /* descriptors of served files kept per worker (website_cache.h) */
    const char *access_log; /* NULL = none; "stderr" or a path */
    int access_log_format;  /* access-log-format: 0 text, 1 json */
    /* Reverse proxy (modules/rproxy): "backend = [PREFIX] URL" entries as written, with their
     * config lines; checked and parsed by that module. */
    oe_linelist_t backends;
    bool forward_client_address;     /* X-Forwarded-For and Forwarded: for= to backends */
    bool via;                        /* Via on proxied requests and responses */
    const char *backend_ca_file;     /* https backends: trusted CAs (NULL = the system's) */
    const char *backend_server_name; /* https backends: SNI and certificate name */
    uint64_t backend_connect_timeout, backend_timeout, backend_idle_timeout; /* ms */
    /* Response header policy, applied to every response of the site (after the handler's own
     * headers, replacing any of the same name): names lower-case. hsts in seconds, 0 = none
     * (sent over TLS only, RFC 6797 §7.2). */
    const char **add_names, **add_values;
    size_t nadd;
    uint64_t hsts;
    unsigned line; /* config line of the section, for messages */
    int stat_id;   /* oe_stat_site_id() of the name */
} oe_site_t;

/* ---- requests ----------------------------------------------------------------------------- */

typedef struct oe_header {
    oe_slice_t name; /* lower-case */
    oe_slice_t value;
} oe_header_t;

typedef struct oe_req oe_req_t;
typedef void (*oe_handler_fn)(oe_req_t *req, void *data);

struct oe_req {
    /* The request, borrowed views valid for the request's lifetime. */
    oe_slice_t method;
    oe_slice_t path;      /* as sent, percent-encoded, without the query; starts with '/' */
    oe_slice_t query;     /* after '?', empty when none */
    oe_slice_t authority; /* host from :authority or Host, lower-case, without port; the request
                           * owns it (valid until the response is done) */
    const oe_header_t *headers;
    size_t nheaders;
    oe_slice_t body;        /* the whole body (bounded by max-body) */
    int version;            /* 11 for HTTP/1.1, 20 for HTTP/2 */
    bool head;              /* a HEAD request: the server drops any body the handler sends */
    bool tls;               /* arrived over TLS */
    const oe_site_t *site;  /* the virtual host chosen by authority */
    struct uv_loop_s *loop; /* the worker's loop, for handlers that answer later */
    /* The worker's count of socket reads when the request was dispatched (0: unknown). Requests
     * with the same count came out of one read, so whatever changed before any of them was sent
     * changed before that read: a state checked once after it needs no second look for them
     * (the website's file cache fstat()s a file once per count). */
    uint64_t read_seq;

    /* For handlers that answer later: called (once) when the client went away before the
     * response was sent (or, streaming, before oe_resp_stream_end/reset); the request is invalid
     * afterwards. */
    void (*on_abort)(oe_req_t *req);
    void *data; /* the handler's */

    /* Streamed request bodies (routes registered with OE_M_STREAM, when the request has a body):
     * body stays empty and the bytes come through on_body, which the handler sets before its
     * handler function returns. p is borrowed for the call; fin marks the end of the body (then
     * n is 0). The handler reports bytes it no longer holds with oe_req_body_ack(): the client's
     * flow control (HTTP/2 WINDOW_UPDATE, HTTP/1.1 reading the socket) opens only as far as
     * acknowledged, so a slow consumer slows the client instead of filling memory. on_body is
     * never called once the handler ended the response. */
    bool body_stream;
    int64_t body_length; /* streamed: the declared length, or -1 when unknown (chunked) */
    /* "websocket" for a tunnel: an HTTP/1.1 GET with Upgrade: websocket, or an HTTP/2 extended
     * CONNECT with :protocol websocket (RFC 8441), on a streaming route; empty otherwise. The
     * handler answers 101 (HTTP/1.1) or 200 (HTTP/2) with oe_resp_stream_start(req, status, -1),
     * and then the request body and the response body are the tunnel's two directions. */
    oe_slice_t upgrade;
    void (*on_body)(oe_req_t *req, const uint8_t *p, size_t n, bool fin);
    /* Streamed responses: called when oe_resp_stream_room() turns true again after it was
     * false. */
    void (*on_writable)(oe_req_t *req);
};

/* The first value of header name (lower-case), or an empty slice with base NULL. */
oe_slice_t oe_req_header(const oe_req_t *req, const char *name);

/* True when method equals m ("GET", ...). */
bool oe_req_method_is(const oe_req_t *req, const char *m);

/* True when the header value v (e.g. content-type) names the media type type, compared without
 * case, alone or followed by parameters (";", " "). */
bool oe_http_media_is(oe_slice_t v, const char *type);

/* ---- responses ---------------------------------------------------------------------------- */

/* Adds a response header (name lower-case; both copied). Only before the response is sent.
 * Content-Length, Date and Server are added by the server. */
void oe_resp_header(oe_req_t *req, const char *name, const char *value);
void oe_resp_headerf(oe_req_t *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends the response with a body (copied; may be NULL with len 0) and finishes the request. */
void oe_resp_send(oe_req_t *req, int status, const void *body, size_t len);

/* Sends the response streaming len bytes of fd from offset off, with back-pressure (the file is
 * never read into memory whole). Takes ownership of fd (closed when done or on abort). */
void oe_resp_send_file(oe_req_t *req, int status, int fd, uint64_t off, uint64_t len);

/* Sends the response with len bytes of blob from offset off as its body (not copied: the stream
 * keeps the reference it is given, released when done or on abort). */
void oe_resp_send_blob(oe_req_t *req, int status, oe_blob_t *blob, uint64_t off, uint64_t len);

/* Sends a small text/plain error page for status and finishes the request. */
void oe_resp_error(oe_req_t *req, int status);

/* Streamed responses. oe_resp_stream_start sends status and headers; length is the body's
 * length, or -1 when unknown (HTTP/1.1: chunked; HTTP/1.0: the connection closes after it).
 * Then the body goes with oe_resp_stream_write (copied) while oe_resp_stream_room() is true
 * (otherwise wait for req->on_writable), and oe_resp_stream_end finishes the request;
 * oe_resp_stream_reset instead ends it abnormally (HTTP/2 RST_STREAM, HTTP/1.1 closes the
 * connection), e.g. when the source failed in the middle. Either ends the handler's hold on
 * req. A HEAD, 204 or 304 response drops written bytes. */
void oe_resp_stream_start(oe_req_t *req, int status, int64_t length);
void oe_resp_stream_write(oe_req_t *req, const void *p, size_t n);
bool oe_resp_stream_room(oe_req_t *req);
void oe_resp_stream_end(oe_req_t *req);
void oe_resp_stream_reset(oe_req_t *req);

/* Streamed request bodies: n bytes given to on_body are no longer held by the handler. */
void oe_req_body_ack(oe_req_t *req, size_t n);

/* The client's address as text ("192.0.2.1", "2001:db8::1"), for a handler configured to pass it
 * on (e.g. forward-client-address); never for logs. Returns false when unknown. */
bool oe_req_client_address(const oe_req_t *req, char *buf, size_t cap);

/* The reason phrase of status ("Not Found"), "Unknown" for others. */
const char *oe_http_reason(int status);

/* ---- routes ------------------------------------------------------------------------------- */

/* Method bits for routes. */
#define OE_M_GET     0x01u
#define OE_M_HEAD    0x02u
#define OE_M_POST    0x04u
#define OE_M_PUT     0x08u
#define OE_M_DELETE  0x10u
#define OE_M_OPTIONS 0x20u
#define OE_M_ANY     0xffu
#define OE_M_OTHER   0x100u /* any other method (PATCH, ...); not part of OE_M_ANY */
#define OE_M_STREAM  0x200u /* not a method: the handler takes the body streamed (on_body) */

typedef struct oe_http oe_http_t;

/* Registers a handler for requests to site (NULL = every site) whose path equals prefix or
 * starts with prefix followed by '/' or '?'-free continuation when prefix ends with '/'. The
 * longest matching prefix wins; a path that matches a route but not its methods gets 405 with
 * Allow. Call from a module's init hook only. prefix is copied, data borrowed. */
int oe_http_route(oe_http_t *http, const oe_site_t *site, unsigned methods, const char *prefix,
                  oe_handler_fn fn, void *data);

/* Per-worker state for modules (e.g. an upstream client on each worker's loop). start runs on
 * the worker's thread before it accepts connections and returns the state; stop runs on that
 * thread when the worker begins to stop, and must close the state's handles (the worker's loop
 * ends when they are closed). Register from init; returns a key for oe_req_worker_state(). */
typedef struct oe_http_worker_hook {
    void *(*start)(struct uv_loop_s *loop, void *data);
    void (*stop)(void *state, void *data);
    void *data;
} oe_http_worker_hook_t;
int oe_http_add_worker_hook(oe_http_t *http, const oe_http_worker_hook_t *hook);
void *oe_req_worker_state(const oe_req_t *req, int key);

/* The HTTP server of the generation ctx belongs to (NULL when the http module is not
 * configured). For other modules' init hooks. */
oe_http_t *oe_http_of(oe_modctx_t *ctx);

/* The configured sites, in file order. */
size_t oe_http_site_count(const oe_conf_t *cf);
const oe_site_t *oe_http_site(const oe_conf_t *cf, size_t i);
/* The [site] section of site i, for reporting config errors at its keys. */
oe_conf_section_t *oe_http_site_section(const oe_conf_t *cf, size_t i);
/* The site with this section name, or NULL. */
const oe_site_t *oe_http_site_by_name(const oe_conf_t *cf, const char *name);
/* For a module's conf_finish: the site its "site = NAME" names, or NULL after reporting
 * "site: no [site "NAME"] is configured" at sec. */
const oe_site_t *oe_http_conf_site(oe_conf_t *cf, oe_conf_section_t *sec, const char *name);

/* Whether site's certificate (its PEM file, or for cert = auto its own names) covers host.
 * Loads the certificate; for config-time checks. */
bool oe_http_site_cert_covers(const oe_site_t *site, const char *host);

/* cert = acme: the files of the site's ACME certificate, STATE/acme/NAME.pem and .key (NAME the
 * site's name with characters other than a-z 0-9 - as '_'), written into cert and key. */
void oe_http_acme_paths(const oe_site_t *site, const char *state_dir, char *cert, char *key,
                        size_t cap);

/* Serves a new certificate chain and key (files, borrowed paths) for site's certificate in new
 * handshakes; connections keep theirs (oe_tls_cert_replace). Main thread, after init. OE_OK,
 * -ENOENT (the site has no certificate of its own here), or the loading error with *err set. */
int oe_http_site_cert_replace(oe_http_t *http, const oe_site_t *site, const char *cert,
                              const char *key, char **err);

/* The TLS server of http (NULL without a TLS listener), e.g. for TLS-ALPN-01 (modules/acme). Call
 * from init hooks; valid as long as http. */
struct oe_tls_server *oe_http_tls_server(oe_http_t *http);

/* Whether a plain-HTTP (tls = no) listener has an address on port (0: on any port). */
bool oe_http_plain_listener(const oe_conf_t *cf, unsigned port);

/* The port of the first TLS listener (0 when there is none), e.g. for HTTPS records. */
unsigned oe_http_tls_port(const oe_conf_t *cf);

/* [listen] sections, the server, and [site] sections (virtual hosts): the two config modules of
 * this unit, both built with MODULES=http. */
extern const oe_module_t oe_http_module;
extern const oe_module_t oe_site_module;

#endif
