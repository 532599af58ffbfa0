/*
 * Reverse proxy: a [site] with "backend = [PREFIX] URL" hands the requests under PREFIX (every
 * path without one) to a local application over HTTP/1.1, through the streaming, pooled backend
 * connections of modules/http (backend.h). Bodies stream both ways with back-pressure: request
 * body bytes are acknowledged to the client's flow control only once the backend's socket took
 * them, and reading the backend stops while the client's side is full.
 *
 * Privacy: no client address goes to the backend unless the site says forward-client-address =
 * yes; whatever X-Forwarded-* / Forwarded / X-Real-IP fields the client sent are removed, so a
 * backend never mistakes a client's claim for ours. Nothing here logs a client address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/net.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"
#include "http/backend.h"
#include "http/http.h"
#include "tls/tls.h"

#define TAG "rproxy"

/* One "backend =" entry of a site. */
typedef struct backend {
    const oe_site_t *site;
    char prefix[256];
    oe_backend_dest_t dest;
    char url[300]; /* as configured, for messages */
    bool https;
    oe_backend_timeouts_t t;
    int hook; /* worker state key: the pool */
} backend_t;

typedef struct rproxy {
    backend_t *backends;
    size_t n;
    oe_tls_client_t **tls; /* per site with an https backend (NULL otherwise) */
    size_t nsites;
} rproxy_t;

/* ---- configuration ------------------------------------------------------------------------ */

/* Parses "[PREFIX] URL" into b; on failure writes a message to err and returns false. URL is
 * http://IPv4:PORT, http://[IPv6]:PORT or http://localhost:PORT (with an optional trailing "/"),
 * the same with https://, or unix:/ABSOLUTE/PATH. For https, b->https is set and b->dest.name is
 * the URL's host (the caller sets the TLS context and may replace the name). */
static bool parse_backend(const char *value, backend_t *b, char *err, size_t cap)
{
    char buf[600];
    snprintf(buf, sizeof(buf), "%s", value);
    char *first = strtok(buf, " \t"), *second = strtok(NULL, " \t"), *third = strtok(NULL, " \t");
    if (first == NULL || third != NULL) {
        snprintf(err, cap, "\"%s\" is not \"[PREFIX] URL\"", value);
        return false;
    }
    const char *url = second != NULL ? second : first;
    const char *prefix = second != NULL ? first : "/";
    if (prefix[0] != '/' || strlen(prefix) >= sizeof(b->prefix) || strpbrk(prefix, "?#%") != NULL) {
        snprintf(err, cap, "prefix \"%s\" is not a path (\"/\" then no ?, # or %%)", prefix);
        return false;
    }
    snprintf(b->prefix, sizeof(b->prefix), "%s", prefix);
    b->https = false;
    snprintf(b->url, sizeof(b->url), "%s", url);
    memset(&b->dest, 0, sizeof(b->dest));
    if (strncmp(url, "unix:", 5) == 0) {
        const char *path = url + 5;
        if (path[0] != '/' || strlen(path) >= sizeof(b->dest.path)) {
            snprintf(err, cap, "\"%s\": unix: needs an absolute path of at most %zu bytes", url,
                     sizeof(b->dest.path) - 1);
            return false;
        }
        b->dest.unix_path = true;
        snprintf(b->dest.path, sizeof(b->dest.path), "%s", path);
        return true;
    }
    b->https = strncmp(url, "https://", 8) == 0;
    if (strncmp(url, "http://", 7) != 0 && !b->https) {
        snprintf(err, cap, "\"%s\" is not http(s)://IP:PORT or unix:/PATH", url);
        return false;
    }
    char hostport[300];
    snprintf(hostport, sizeof(hostport), "%s", url + (b->https ? 8 : 7));
    size_t len = strlen(hostport);
    if (len > 0 && hostport[len - 1] == '/')
        hostport[--len] = '\0';
    if (strchr(hostport, '/') != NULL) {
        snprintf(err, cap, "\"%s\": a backend URL has no path (requests keep theirs)", url);
        return false;
    }
    char addr[320];
    if (strncmp(hostport, "localhost:", 10) == 0)
        snprintf(addr, sizeof(addr), "127.0.0.1:%s", hostport + 10);
    else
        snprintf(addr, sizeof(addr), "%s", hostport);
    /* The host as the certificate would name it: without brackets and port. */
    const char *h = hostport, *colon = strrchr(hostport, ':');
    size_t hl = colon != NULL ? (size_t)(colon - hostport) : strlen(hostport);
    if (hl >= 2 && h[0] == '[') {
        h++;
        hl -= 2;
    }
    snprintf(b->dest.name, sizeof(b->dest.name), "%.*s", (int)hl, h);
    oe_sockaddr_t sa;
    if (oe_parse_addr(addr, &sa) < 0) {
        snprintf(err, cap, "\"%s\": the host must be an IP address or localhost, with a port", url);
        return false;
    }
    memcpy(&b->dest.addr, &sa.ss, sizeof(b->dest.addr));
    return true;
}

/* Every site's backends: well-formed, one per prefix, and "/" only on a site without root. */
/* The TLS client of a site's https backends (ALPN http/1.1); NULL with *err on failure. */
static oe_tls_client_t *site_tls(const oe_site_t *site, char **err)
{
    static const char *const alpn[] = {"http/1.1", NULL};
    oe_tls_client_opts_t opts = {.ca_file = site->backend_ca_file, .alpn = alpn};
    return oe_tls_client_new(&opts, err);
}

static int rproxy_conf_finish(oe_conf_t *cf)
{
    int rc = 0;
    for (size_t i = 0; i < oe_http_site_count(cf); i++) {
        const oe_site_t *site = oe_http_site(cf, i);
        oe_conf_section_t *sec = oe_http_site_section(cf, i);
        const oe_linelist_t *l = &site->backends;
        bool https = false;
        backend_t *seen = oe_calloc(l->values.n + 1, sizeof(*seen));
        for (size_t k = 0; k < l->values.n; k++) {
            char err[512];
            if (!parse_backend(l->values.v[k], &seen[k], err, sizeof(err))) {
                oe_conf_error_line(cf, sec, "backend", l->lines[k], "%s", err);
                rc = OE_ECONFIG;
                continue;
            }
            for (size_t j = 0; j < k; j++)
                if (strcmp(seen[j].prefix, seen[k].prefix) == 0) {
                    oe_conf_error_line(cf, sec, "backend", l->lines[k],
                                       "prefix %s already has a backend", seen[k].prefix);
                    rc = OE_ECONFIG;
                }
            if (strcmp(seen[k].prefix, "/") == 0 && site->root != NULL) {
                oe_conf_error_line(cf, sec, "backend", l->lines[k],
                                   "a backend for every path leaves nothing to root; give it a "
                                   "prefix (backend = /app %s)",
                                   seen[k].url);
                rc = OE_ECONFIG;
            }
            https |= seen[k].https;
        }
        free(seen);
        /* The CA file must load now, not at the first request. */
        if (https) {
            char *err = NULL;
            oe_tls_client_t *tls = site_tls(site, &err);
            if (tls == NULL) {
                oe_conf_error_key(cf, sec, "backend-ca-file", "%s", err ? err : "cannot load");
                rc = OE_ECONFIG;
            }
            free(err);
            oe_tls_client_free(tls);
        } else if (site->backend_ca_file != NULL || site->backend_server_name != NULL) {
            oe_conf_error_key(
                cf, sec, site->backend_ca_file != NULL ? "backend-ca-file" : "backend-server-name",
                "only for https:// backends, and this site has none");
            rc = OE_ECONFIG;
        }
    }
    return rc;
}

/* ---- one proxied request ------------------------------------------------------------------ */

typedef struct px {
    oe_req_t *req;
    const backend_t *b;
    oe_backend_x_t *x;
    bool started;  /* the response head went to the client */
    bool in_write; /* inside oe_resp_stream_*, which may end in on_abort */
    bool gone;     /* on_abort came during in_write: free on return */
    /* A response head is held (with the body that came in the same read) until the read's
     * events are delivered: a small response then leaves in one piece (one HEADERS + DATA, one
     * TLS record) instead of a head, a piece and an end written one by one. */
    bool held;
    int status;
    int64_t length;
    oe_buf_t hdrs;    /* held fields: "name\0value\0" */
    oe_buf_t pending; /* held body bytes */
} px_t;

/* At most this much body is held with a head (then it streams). */
#define HOLD_MAX 65536

/* The request is over for us (req may already be the connection's next request: not touched). */
static void px_free(px_t *px)
{
    oe_buf_free(&px->hdrs);
    oe_buf_free(&px->pending);
    free(px);
}

/* The held fields onto the response. */
static void apply_headers(px_t *px)
{
    for (size_t pos = 0; pos < px->hdrs.len;) {
        const char *name = (const char *)px->hdrs.base + pos;
        const char *value = name + strlen(name) + 1;
        pos += strlen(name) + strlen(value) + 2;
        oe_resp_header(px->req, name, value);
    }
}

/* Starts streaming the held response: its head and the body held so far. Returns false when
 * the client went away meanwhile (px is freed then). */
static bool release(px_t *px)
{
    oe_req_t *req = px->req;
    px->held = false;
    px->started = true;
    apply_headers(px);
    px->in_write = true;
    oe_resp_stream_start(req, px->status, px->length);
    if (!px->gone && px->pending.len > 0)
        oe_resp_stream_write(req, px->pending.base, px->pending.len);
    px->in_write = false;
    oe_buf_free(&px->pending);
    if (px->gone) {
        px_free(px);
        return false;
    }
    return true;
}

/* Hop-by-hop fields (RFC 9110 §7.6.1) and the ones the proxy writes itself. */
static bool hop_by_hop(oe_slice_t name)
{
    static const char *const names[] = {"connection", "keep-alive",         "proxy-connection",
                                        "te",         "transfer-encoding",  "upgrade",
                                        "trailer",    "proxy-authenticate", "proxy-authorization"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(names); i++)
        if (oe_slice_eq(name, OE_SLICE_STR(names[i])))
            return true;
    return false;
}

/* Is name one of the comma-separated tokens of a Connection field value (case-insensitive)? */
static bool named_in(oe_slice_t connection, oe_slice_t name)
{
    const uint8_t *p = connection.base, *end = p + connection.len;
    while (p != NULL && p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const uint8_t *s = p;
        while (p < end && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - s);
        if (n == name.len && n > 0) {
            bool eq = true;
            for (size_t i = 0; i < n && eq; i++)
                eq = (s[i] | 0x20) == (name.base[i] | 0x20);
            if (eq)
                return true;
        }
    }
    return false;
}

static oe_slice_t header_of(const oe_header_t *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (oe_slice_eq(h[i].name, OE_SLICE_STR(name)))
            return h[i].value;
    return (oe_slice_t){NULL, 0};
}

/* The request head for the backend. */
static void build_head(const px_t *px, oe_buf_t *head, int64_t body_length)
{
    const oe_req_t *req = px->req;
    const oe_site_t *site = req->site;
    bool ws = req->upgrade.len > 0;
    /* A WebSocket tunnel is an HTTP/1.1 Upgrade to the backend, also when the client opened it
     * with an HTTP/2 extended CONNECT (RFC 8441 §5: the method becomes GET). */
    oe_slice_t method = ws ? OE_SLICE_STR("GET") : req->method;
    oe_buf_printf(head, "%.*s %.*s%s%.*s HTTP/1.1\r\nhost: %.*s\r\n", (int)method.len, method.base,
                  (int)req->path.len, req->path.base, req->query.len ? "?" : "",
                  (int)req->query.len, req->query.base, (int)req->authority.len,
                  req->authority.base);
    if (ws) {
        oe_buf_printf(head, "connection: upgrade\r\nupgrade: websocket\r\n");
        if (oe_req_header(req, "sec-websocket-key").base == NULL) { /* HTTP/2 has none */
            uint8_t nonce[16];
            char key[32];
            oe_crypto_random(NULL, nonce, sizeof(nonce));
            oe_base64_encode(key, sizeof(key), nonce, sizeof(nonce));
            oe_buf_printf(head, "sec-websocket-key: %s\r\n", key);
        }
    }
    oe_slice_t conn = header_of(req->headers, req->nheaders, "connection");
    bool cookie = false;
    for (size_t i = 0; i < req->nheaders; i++) {
        oe_slice_t n = req->headers[i].name, v = req->headers[i].value;
        if (hop_by_hop(n) || (conn.base != NULL && named_in(conn, n)) ||
            oe_slice_eq(n, OE_SLICE_STR("host")) ||
            oe_slice_eq(n, OE_SLICE_STR("content-length")) ||
            oe_slice_eq(n, OE_SLICE_STR("expect")) || /* answered by the server (100) */
            oe_slice_eq(n, OE_SLICE_STR("x-forwarded-for")) ||
            oe_slice_eq(n, OE_SLICE_STR("x-forwarded-proto")) ||
            oe_slice_eq(n, OE_SLICE_STR("x-forwarded-host")) ||
            oe_slice_eq(n, OE_SLICE_STR("x-real-ip")) ||
            oe_slice_eq(n, OE_SLICE_STR("forwarded")) || oe_slice_eq(n, OE_SLICE_STR("via")))
            continue;
        /* HTTP/2 may split cookie into several fields; HTTP/1.1 wants one (RFC 9113 §8.2.3). */
        if (oe_slice_eq(n, OE_SLICE_STR("cookie"))) {
            if (cookie)
                continue;
            cookie = true;
            oe_buf_printf(head, "cookie: ");
            bool first = true;
            for (size_t k = i; k < req->nheaders; k++)
                if (oe_slice_eq(req->headers[k].name, OE_SLICE_STR("cookie"))) {
                    oe_buf_printf(head, "%s%.*s", first ? "" : "; ", (int)req->headers[k].value.len,
                                  req->headers[k].value.base);
                    first = false;
                }
            oe_buf_printf(head, "\r\n");
            continue;
        }
        oe_buf_printf(head, "%.*s: %.*s\r\n", (int)n.len, n.base, (int)v.len, v.base);
    }
    oe_buf_printf(head, "x-forwarded-proto: %s\r\nx-forwarded-host: %.*s\r\n",
                  req->tls ? "https" : "http", (int)req->authority.len, req->authority.base);
    char addr[64];
    if (site->forward_client_address && oe_req_client_address(req, addr, sizeof(addr))) {
        bool v6 = strchr(addr, ':') != NULL;
        oe_buf_printf(head, "x-forwarded-for: %s\r\nforwarded: for=%s%s%s%s;proto=%s\r\n", addr,
                      v6 ? "\"[" : "", addr, v6 ? "]\"" : "", "", req->tls ? "https" : "http");
    }
    if (site->via)
        oe_buf_printf(head, "via: %s odoh-edge\r\n", req->version == 20 ? "2" : "1.1");
    if (ws)
        ; /* a tunnel: no message body */
    else if (body_length > 0)
        oe_buf_printf(head, "content-length: %lld\r\n", (long long)body_length);
    else if (body_length < 0)
        oe_buf_printf(head, "transfer-encoding: chunked\r\n");
    else if (!oe_req_method_is(req, "GET") && !oe_req_method_is(req, "HEAD") &&
             !oe_req_method_is(req, "DELETE") && !oe_req_method_is(req, "OPTIONS"))
        oe_buf_printf(head, "content-length: 0\r\n");
    oe_buf_append(head, "\r\n", 2);
}

static void on_head(void *data, int status, const oe_header_t *h, size_t n, int64_t length)
{
    px_t *px = data;
    oe_req_t *req = px->req;
    bool tunnel = status == 101; /* backend.c takes it only for an upgrade we asked for */
    oe_slice_t conn = header_of(h, n, "connection");
    for (size_t i = 0; i < n; i++) {
        oe_slice_t name = h[i].name;
        if (hop_by_hop(name) || (conn.base != NULL && named_in(conn, name)) ||
            (tunnel && req->version == 20 &&
             oe_slice_eq(name, OE_SLICE_STR("sec-websocket-accept"))) ||
            oe_slice_eq(name, OE_SLICE_STR("content-length")) ||
            oe_slice_eq(name, OE_SLICE_STR("date")) || oe_slice_eq(name, OE_SLICE_STR("server")))
            continue;
        if (memchr(name.base, '\0', name.len) != NULL ||
            memchr(h[i].value.base, '\0', h[i].value.len) != NULL)
            continue; /* llhttp refuses these; never cut a field short */
        oe_buf_append(&px->hdrs, name.base, name.len);
        oe_buf_append(&px->hdrs, "", 1);
        oe_buf_append(&px->hdrs, h[i].value.base, h[i].value.len);
        oe_buf_append(&px->hdrs, "", 1);
    }
    if (req->site->via) {
        static const char via[] = "via\0"
                                  "1.1 odoh-edge"; /* with both NULs */
        oe_buf_append(&px->hdrs, via, sizeof(via));
    }
    if (tunnel) {
        apply_headers(px);
        px->started = true;
        if (req->version == 20) { /* RFC 8441 §5: 200 opens the tunnel on the stream */
            oe_resp_stream_start(req, 200, -1);
            return;
        }
        oe_resp_header(req, "connection", "upgrade");
        oe_resp_header(req, "upgrade", "websocket");
        oe_resp_stream_start(req, 101, -1);
        return;
    }
    px->held = true;
    px->status = status;
    px->length = length;
}

static void on_batch(void *data)
{
    px_t *px = data;
    if (px->held && release(px) && !oe_resp_stream_room(px->req))
        oe_backend_pause(px->x, true);
}

static void on_body(void *data, const uint8_t *p, size_t n)
{
    px_t *px = data;
    if (px->held) {
        oe_buf_append(&px->pending, p, n);
        if (px->pending.len > HOLD_MAX)
            on_batch(px);
        return;
    }
    px->in_write = true;
    oe_resp_stream_write(px->req, p, n);
    px->in_write = false;
    if (px->gone) {
        px_free(px);
        return;
    }
    if (!oe_resp_stream_room(px->req))
        oe_backend_pause(px->x, true);
}

static void on_end(void *data)
{
    px_t *px = data;
    oe_req_t *req = px->req;
    px->x = NULL;                 /* the exchange is over */
    if (px->held && !req->head) { /* the whole response came at once: one piece */
        apply_headers(px);
        oe_resp_send(req, px->status, px->pending.base, px->pending.len);
        px_free(px);
        return;
    }
    if (px->held && !release(px)) /* HEAD keeps the backend's content-length */
        return;
    oe_resp_stream_end(req);
    px_free(px);
}

static void on_error(void *data, int err)
{
    px_t *px = data;
    oe_req_t *req = px->req;
    px->x = NULL;
    oe_log_debug(TAG, "backend %s: %s", px->b->url,
                 err == OE_BACKEND_ECONNECT   ? "connect failed"
                 : err == OE_BACKEND_ETIMEOUT ? "timed out"
                 : err == OE_BACKEND_EPROTO   ? "malformed response"
                                              : "closed early");
    if (px->started) {
        oe_resp_stream_reset(req); /* the client must not take a cut body for a whole one */
    } else {
        oe_resp_header(req, "cache-control", "no-store");
        oe_resp_error(req, err == OE_BACKEND_ETIMEOUT ? 504 : 502);
    }
    px_free(px);
}

static void on_written(void *data, size_t n)
{
    px_t *px = data;
    if (px->req->body_stream)
        oe_req_body_ack(px->req, n);
}

static const oe_backend_cb_t backend_cb = {
    .head = on_head,
    .body = on_body,
    .end = on_end,
    .error = on_error,
    .written = on_written,
    .batch = on_batch,
};

static void on_req_body(oe_req_t *req, const uint8_t *p, size_t n, bool fin)
{
    px_t *px = req->data;
    if (px == NULL || px->x == NULL)
        return;
    if (n > 0)
        oe_backend_write(px->x, p, n);
    if (fin)
        oe_backend_write_end(px->x);
}

static void on_writable(oe_req_t *req)
{
    px_t *px = req->data;
    if (px != NULL && px->x != NULL)
        oe_backend_pause(px->x, false);
}

static void on_abort(oe_req_t *req)
{
    px_t *px = req->data;
    if (px == NULL)
        return;
    oe_backend_cancel(px->x);
    px->x = NULL;
    if (px->in_write)
        px->gone = true;
    else
        px_free(px);
}

static void handle(oe_req_t *req, void *data)
{
    const backend_t *b = data;
    oe_backend_pool_t *pool = oe_req_worker_state(req, b->hook);
    if (oe_req_method_is(req, "CONNECT") && req->upgrade.len == 0) {
        oe_resp_error(req, 501); /* a tunnel to anywhere but a WebSocket: not ours to open */
        return;
    }
    px_t *px = oe_calloc(1, sizeof(*px));
    px->req = req;
    px->b = b;
    req->data = px;
    req->on_abort = on_abort;
    req->on_body = on_req_body;
    req->on_writable = on_writable;
    int64_t length = req->upgrade.len > 0 ? OE_BACKEND_TUNNEL
                     : req->body_stream   ? req->body_length
                                          : (int64_t)req->body.len;
    oe_buf_t head = {0};
    build_head(px, &head, length);
    px->x = oe_backend_request(pool, &b->dest, &b->t, head.base, head.len, length, req->head,
                               &backend_cb, px);
    oe_buf_free(&head);
    if (!req->body_stream && req->body.len > 0) {
        oe_backend_write(px->x, req->body.base, req->body.len);
        oe_backend_write_end(px->x);
    }
}

/* ---- module ------------------------------------------------------------------------------- */

static void *worker_start(struct uv_loop_s *loop, void *data)
{
    (void)data;
    return oe_backend_pool_new(loop);
}

static void worker_stop(void *state, void *data)
{
    (void)data;
    oe_backend_pool_close(state);
}

static int rproxy_init(oe_modctx_t *ctx)
{
    oe_http_t *http = oe_http_of(ctx);
    size_t total = 0;
    for (size_t i = 0; i < oe_http_site_count(ctx->cf); i++)
        total += oe_http_site(ctx->cf, i)->backends.values.n;
    if (total == 0)
        return 0;
    if (http == NULL) {
        oe_log_warn(TAG, "backends are configured, but no HTTP server runs");
        return 0;
    }
    rproxy_t *rp = oe_calloc(1, sizeof(*rp));
    rp->backends = oe_calloc(total, sizeof(*rp->backends));
    rp->nsites = oe_http_site_count(ctx->cf);
    rp->tls = oe_calloc(rp->nsites + 1, sizeof(*rp->tls));
    ctx->data = rp;
    oe_http_worker_hook_t hook = {.start = worker_start, .stop = worker_stop, .data = rp};
    int key = oe_http_add_worker_hook(http, &hook);
    if (key < 0)
        return key;
    for (size_t i = 0; i < oe_http_site_count(ctx->cf); i++) {
        const oe_site_t *site = oe_http_site(ctx->cf, i);
        for (size_t k = 0; k < site->backends.values.n; k++) {
            backend_t *b = &rp->backends[rp->n];
            char err[512];
            if (!parse_backend(site->backends.values.v[k], b, err, sizeof(err)))
                return OE_ECONFIG; /* conf_finish reported it */
            if (b->https) {
                if (rp->tls[i] == NULL) {
                    char *terr = NULL;
                    rp->tls[i] = site_tls(site, &terr);
                    if (rp->tls[i] == NULL) {
                        oe_log_error(TAG, "[site \"%s\"] backend TLS: %s", site->name,
                                     terr ? terr : "cannot create");
                        free(terr);
                        return OE_ECRYPTO;
                    }
                }
                b->dest.tls = rp->tls[i];
                if (site->backend_server_name != NULL)
                    snprintf(b->dest.name, sizeof(b->dest.name), "%s", site->backend_server_name);
            }
            b->site = site;
            b->hook = key;
            b->t = (oe_backend_timeouts_t){.connect = site->backend_connect_timeout,
                                           .first_byte = site->backend_timeout,
                                           .idle = site->backend_idle_timeout};
            rp->n++;
            int rc = oe_http_route(http, site, OE_M_ANY | OE_M_OTHER | OE_M_STREAM, b->prefix,
                                   handle, b);
            if (rc < 0)
                return rc;
            oe_log_info(TAG, "[site \"%s\"] %s -> %s", site->name, b->prefix, b->url);
        }
    }
    return 0;
}

static void rproxy_destroy(oe_modctx_t *ctx)
{
    rproxy_t *rp = ctx->data;
    if (rp == NULL)
        return;
    for (size_t i = 0; i < rp->nsites; i++)
        oe_tls_client_free(rp->tls[i]);
    free(rp->tls);
    free(rp->backends);
    free(rp);
    ctx->data = NULL;
}

const oe_module_t oe_rproxy_module = {
    .name = "rproxy",
    .section = NULL,
    .summary = "reverse proxy for every [site] with a backend",
    .conf_finish = rproxy_conf_finish,
    .init = rproxy_init,
    .destroy = rproxy_destroy,
};
