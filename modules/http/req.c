/*
 * The protocol-neutral half of a request: collecting a response from a handler, the body source
 * (memory or file), and dispatch: virtual host by authority, 421 for hosts this connection must
 * not serve, routes by longest path prefix, 405 and 404.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/log.h"
#include "core/net.h"
#include "http/http_int.h"

const char *oe_http_reason(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 421:
        return "Misdirected Request";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* ---- streams ------------------------------------------------------------------------------- */

void oe_http__stream_init(stream_t *s, const proto_t *proto, conn_t *c)
{
    memset(s, 0, sizeof(*s));
    s->proto = proto;
    s->c = c;
    s->fd = -1;
    s->req.loop = &c->w->loop;
    s->req.tls = c->tls != NULL;
}

void oe_http__stream_release(stream_t *s)
{
    oe_buf_free(&s->hbuf);
    oe_buf_free(&s->body);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    oe_blob_unref(s->blob);
    s->blob = NULL;
    s->nhdrs = 0;
}

void oe_http__stream_abort(stream_t *s)
{
    if (s->handled && !s->ended && !s->aborted) {
        s->aborted = true;
        if (s->req.on_abort != NULL)
            s->req.on_abort(&s->req);
    }
}

uint64_t oe_http__stream_body_left(const stream_t *s)
{
    return s->fd >= 0 || s->blob != NULL ? s->file_left : s->body.len - s->body_pos;
}

ssize_t oe_http__stream_body_read(stream_t *s, uint8_t *buf, size_t cap)
{
    if (s->blob != NULL) {
        size_t n = (size_t)OE_MIN((uint64_t)cap, s->file_left);
        memcpy(buf, s->blob->data + s->file_off, n);
        s->file_off += n;
        s->file_left -= n;
        return (ssize_t)n;
    }
    if (s->fd < 0) {
        size_t n = OE_MIN(cap, s->body.len - s->body_pos);
        memcpy(buf, s->body.base + s->body_pos, n);
        s->body_pos += n;
        return (ssize_t)n;
    }
    size_t want = (size_t)OE_MIN((uint64_t)cap, s->file_left);
    ssize_t r;
    do
        r = pread(s->fd, buf, want, (off_t)s->file_off);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (r == 0 && want > 0)
        return OE_ETRUNC; /* the file shrank under us */
    s->file_off += (uint64_t)r;
    s->file_left -= (uint64_t)r;
    return r;
}

bool oe_http__stream_header(const stream_t *s, size_t *pos, const char **name, const char **value)
{
    if (*pos >= s->hbuf.len)
        return false;
    *name = (const char *)s->hbuf.base + *pos;
    *pos += strlen(*name) + 1;
    *value = (const char *)s->hbuf.base + *pos;
    *pos += strlen(*value) + 1;
    return true;
}

/* ---- the handler's API ------------------------------------------------------------------------
 */

oe_slice_t oe_req_header(const oe_req_t *req, const char *name)
{
    oe_slice_t n = OE_SLICE_STR(name);
    for (size_t i = 0; i < req->nheaders; i++)
        if (oe_slice_eq(req->headers[i].name, n))
            return req->headers[i].value;
    return (oe_slice_t){NULL, 0};
}

bool oe_req_method_is(const oe_req_t *req, const char *m)
{
    return oe_slice_eq(req->method, OE_SLICE_STR(m));
}

bool oe_http_media_is(oe_slice_t v, const char *type)
{
    size_t n = strlen(type);
    if (v.len < n || !oe_slice_eq_nocase(OE_SLICE(v.base, n), OE_SLICE(type, n)))
        return false;
    return v.len == n || v.base[n] == ';' || v.base[n] == ' ';
}

void oe_resp_header(oe_req_t *req, const char *name, const char *value)
{
    stream_t *s = (stream_t *)req;
    if (s->responded)
        return;
    if (s->hbuf.cap == 0) /* room for a static file's headers at once, not doubling from 64 */
        oe_buf_reserve(&s->hbuf, 512);
    oe_buf_append(&s->hbuf, name, strlen(name) + 1);
    oe_buf_append(&s->hbuf, value, strlen(value) + 1);
    s->nhdrs++;
}

void oe_resp_headerf(oe_req_t *req, const char *name, const char *fmt, ...)
{
    char value[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    oe_resp_header(req, name, value);
}

/* Removes every header called name (lower-case) that the handler added. */
static void drop_header(stream_t *s, const char *name)
{
    size_t pos = 0, out = 0;
    const char *n, *v;
    while (oe_http__stream_header(s, &pos, &n, &v)) {
        size_t len = (size_t)((const uint8_t *)v + strlen(v) + 1 - (const uint8_t *)n);
        if (strcmp(n, name) == 0) {
            s->nhdrs--;
            continue;
        }
        memmove(s->hbuf.base + out, n, len);
        out += len;
    }
    s->hbuf.len = out;
}

/* The site's response header policy (header = , hsts = ): each replaces the handler's field of
 * the same name. HSTS goes over TLS only (RFC 6797 §7.2). */
static void site_headers(stream_t *s)
{
    const oe_site_t *site = s->req.site;
    if (site == NULL)
        return;
    for (size_t i = 0; i < site->nadd; i++) {
        drop_header(s, site->add_names[i]);
        oe_resp_header(&s->req, site->add_names[i], site->add_values[i]);
    }
    if (site->hsts > 0 && s->req.tls) {
        drop_header(s, "strict-transport-security");
        oe_resp_headerf(&s->req, "strict-transport-security", "max-age=%llu",
                        (unsigned long long)site->hsts);
    }
}

static void finish(stream_t *s, int status)
{
    oe_stat_http_response(s->req.site != NULL ? s->req.site->stat_id : 0,
                          s->c->proto == &oe_http__h2, status);
    site_headers(s);
    s->status = status;
    s->responded = true;
    s->ended = true;
    if (s->aborted)
        return; /* the engine has let go of the stream; nothing to send */
    s->content_length = oe_http__stream_body_left(s);
    if (s->req.head || status == 204 || status == 304) {
        s->no_body = true;
        oe_buf_free(&s->body);
        s->body_pos = 0;
        if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        oe_blob_unref(s->blob);
        s->blob = NULL;
        s->file_left = 0;
    }
    s->proto->submit(s);
}

void oe_resp_send(oe_req_t *req, int status, const void *body, size_t len)
{
    stream_t *s = (stream_t *)req;
    if (s->responded)
        return;
    oe_buf_append(&s->body, body, len);
    finish(s, status);
}

void oe_resp_send_file(oe_req_t *req, int status, int fd, uint64_t off, uint64_t len)
{
    stream_t *s = (stream_t *)req;
    if (s->responded) {
        close(fd);
        return;
    }
    s->fd = fd;
    s->file_off = off;
    s->file_left = len;
    finish(s, status);
}

void oe_resp_send_blob(oe_req_t *req, int status, oe_blob_t *blob, uint64_t off, uint64_t len)
{
    stream_t *s = (stream_t *)req;
    if (s->responded || off > blob->len || len > blob->len - off) {
        oe_blob_unref(blob);
        if (!s->responded)
            oe_resp_error(req, 500);
        return;
    }
    s->blob = blob;
    s->file_off = off;
    s->file_left = len;
    finish(s, status);
}

void oe_resp_error(oe_req_t *req, int status)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "%d %s\n", status, oe_http_reason(status));
    oe_resp_header(req, "content-type", "text/plain; charset=utf-8");
    oe_resp_send(req, status, body, (size_t)n);
}

void oe_resp_stream_start(oe_req_t *req, int status, int64_t length)
{
    stream_t *s = (stream_t *)req;
    if (s->responded)
        return;
    oe_stat_http_response(s->req.site != NULL ? s->req.site->stat_id : 0,
                          s->c->proto == &oe_http__h2, status);
    site_headers(s);
    s->status = status;
    s->responded = true;
    s->streamed = true;
    s->stream_length = length;
    s->content_length = length >= 0 ? (uint64_t)length : 0;
    if (s->aborted)
        return;
    s->no_body = s->req.head || status == 204 || status == 304 ||
                 (status >= 100 && status < 200 && status != 101);
    s->proto->submit(s);
}

void oe_resp_stream_write(oe_req_t *req, const void *p, size_t n)
{
    stream_t *s = (stream_t *)req;
    if (!s->streamed || s->ended || s->aborted || s->no_body || n == 0)
        return;
    s->proto->stream_write(s, p, n);
}

bool oe_resp_stream_room(oe_req_t *req)
{
    stream_t *s = (stream_t *)req;
    if (!s->streamed || s->ended || s->aborted || s->no_body)
        return true;
    return s->proto->stream_room(s);
}

void oe_resp_stream_end(oe_req_t *req)
{
    stream_t *s = (stream_t *)req;
    if (!s->streamed || s->ended)
        return;
    s->ended = true;
    s->body_done = true;
    if (!s->aborted)
        s->proto->stream_end(s);
}

void oe_resp_stream_reset(oe_req_t *req)
{
    stream_t *s = (stream_t *)req;
    if (s->ended)
        return;
    s->ended = true;
    s->responded = true;
    if (!s->aborted)
        s->proto->stream_reset(s);
}

void oe_req_body_ack(oe_req_t *req, size_t n)
{
    stream_t *s = (stream_t *)req;
    if (!s->ended && !s->aborted && n > 0)
        s->proto->body_ack(s, n);
}

bool oe_req_client_address(const oe_req_t *req, char *buf, size_t cap)
{
    const stream_t *s = (const stream_t *)req;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&s->c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return false;
    const void *a = ss.ss_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
    if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&ss)->sin6_addr))
        return inet_ntop(AF_INET, (const uint8_t *)a + 12, buf, (socklen_t)cap) != NULL;
    return inet_ntop(ss.ss_family, a, buf, (socklen_t)cap) != NULL;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

bool oe_http__parse_authority(oe_slice_t v, char *dst, size_t cap, oe_slice_t *out)
{
    size_t n = v.len;
    const uint8_t *p = v.base;
    if (n == 0)
        return false;
    if (p[0] == '[') { /* IPv6 literal */
        const uint8_t *end = memchr(p, ']', n);
        if (end == NULL)
            return false;
        n = (size_t)(end - p) + 1;
    } else {
        const uint8_t *colon = memchr(p, ':', n);
        if (colon != NULL) {
            for (const uint8_t *q = colon + 1; q < p + v.len; q++)
                if (!isdigit(*q))
                    return false;
            n = (size_t)(colon - p);
        }
    }
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (!(isalnum(ch) || ch == '-' || ch == '.' || ch == '[' || ch == ']' || ch == ':'))
            return false;
        dst[i] = (char)tolower(ch);
    }
    if (n > 1 && dst[n - 1] == '.') /* "host." names the same host */
        n--;
    dst[n] = '\0';
    *out = (oe_slice_t){(const uint8_t *)dst, n};
    return true;
}

/* Does the site name "*.example.test" cover host: exactly one label more? */
static bool wildcard_covers(const char *pattern, oe_slice_t host)
{
    const uint8_t *dot = memchr(host.base, '.', host.len);
    if (pattern[0] != '*' || pattern[1] != '.' || dot == NULL || dot == host.base)
        return false;
    return oe_slice_eq(OE_SLICE(dot + 1, host.len - (size_t)(dot + 1 - host.base)),
                       OE_SLICE_STR(pattern + 2));
}

/* Exact names first, then wildcards, as certificates are picked. */
static const oe_site_t *site_for(oe_http_t *http, oe_slice_t host)
{
    for (size_t i = 0; i < http->nsites; i++)
        for (size_t h = 0; h < http->sites[i]->hosts.n; h++)
            if (oe_slice_eq(host, OE_SLICE_STR(http->sites[i]->hosts.v[h])))
                return http->sites[i];
    for (size_t i = 0; i < http->nsites; i++)
        for (size_t h = 0; h < http->sites[i]->hosts.n; h++)
            if (wildcard_covers(http->sites[i]->hosts.v[h], host))
                return http->sites[i];
    return NULL;
}

/* For TLS the client already named the host it wants in SNI, and the certificate was chosen for
 * it; a plain listener has no such hint, so the first configured site is the default. */
oe_slice_t oe_http__default_authority(const conn_t *c)
{
    oe_http_t *http = c->w->http;
    if (c->sni != NULL && site_for(http, OE_SLICE_STR(c->sni)) != NULL)
        return OE_SLICE_STR(c->sni);
    const oe_site_t *site = c->cert != NULL ? c->cert->owner : NULL;
    if (site == NULL && http->nsites > 0)
        site = http->sites[0];
    if (site == NULL || site->hosts.n == 0)
        return (oe_slice_t){NULL, 0};
    return OE_SLICE_STR(site->hosts.v[0]);
}

static unsigned method_bit(oe_slice_t m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } t[] = {{"GET", OE_M_GET}, {"HEAD", OE_M_HEAD},     {"POST", OE_M_POST},
             {"PUT", OE_M_PUT}, {"DELETE", OE_M_DELETE}, {"OPTIONS", OE_M_OPTIONS}};
    for (size_t i = 0; i < OE_ARRAY_SIZE(t); i++)
        if (oe_slice_eq(m, OE_SLICE_STR(t[i].name)))
            return t[i].bit;
    return OE_M_OTHER;
}

static bool prefix_match(const route_t *r, oe_slice_t path)
{
    if (path.len < r->prefix_len || memcmp(path.base, r->prefix, r->prefix_len) != 0)
        return false;
    /* "/dns-query" matches itself and "/dns-query/..."; a prefix ending in '/' matches below. */
    return path.len == r->prefix_len || r->prefix[r->prefix_len - 1] == '/' ||
           path.base[r->prefix_len] == '/';
}

static void allow_header(oe_req_t *req, unsigned methods)
{
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    char allow[64] = "";
    for (size_t i = 0; i < OE_ARRAY_SIZE(names); i++) {
        if (methods & (1u << i)) {
            size_t k = strlen(allow);
            snprintf(allow + k, sizeof(allow) - k, "%s%s", k ? ", " : "", names[i]);
        }
    }
    oe_resp_header(req, "allow", allow);
}

/* Classifies one raw path segment as the file handlers read it: 0 for "" and "." (also written
 * "%2e"), 1 for ".." (any mix of '.' and "%2e"), -1 for a name. */
static int dot_segment(const uint8_t *p, size_t n)
{
    int dots = 0;
    for (size_t j = 0; j < n; dots++) {
        if (dots == 2)
            return -1;
        if (p[j] == '.')
            j++;
        else if (n - j >= 3 && p[j] == '%' && p[j + 1] == '2' && (p[j + 2] | 0x20) == 'e')
            j += 3;
        else
            return -1;
    }
    return dots == 2 ? 1 : 0;
}

/* Is path under /.well-known/ once its dot segments are removed (RFC 3986 §5.2.4, segments split
 * on '/' as the website module splits them)? "/.well-known/../secret" and
 * "/.well-known/%2e%2e/secret" are not. */
static bool under_well_known(oe_slice_t path)
{
    size_t depth = 0;
    bool first_is_wk = false;
    for (size_t i = 1; i <= path.len;) {
        size_t end = i;
        while (end < path.len && path.base[end] != '/')
            end++;
        int d = dot_segment(path.base + i, end - i);
        if (d == 1 && depth > 0) {
            depth--;
        } else if (d < 0) {
            if (depth++ == 0)
                first_is_wk =
                    oe_slice_eq(OE_SLICE(path.base + i, end - i), OE_SLICE_STR(".well-known"));
        }
        i = end + 1;
    }
    return depth > 0 && first_is_wk;
}

/* Plain-HTTP listener with redirect = yes: everything but /.well-known/ goes to https. The path
 * is judged after dot-segment removal, as the handler that serves it will see it. */
static bool redirect(conn_t *c, stream_t *s)
{
    const oe_listen_conf_t *lc = c->l->conf;
    if (!lc->redirect || c->tls != NULL)
        return false;
    if (under_well_known(s->req.path))
        return false;
    long long port = lc->https_port;
    oe_http_t *http = c->w->http;
    for (size_t i = 0; port == 0 && i < http->nlistens; i++)
        if (http->listens[i]->tls && http->listens[i]->addresses.n > 0) {
            port = oe_sockaddr_port((const struct sockaddr *)&http->listens[i]->addresses.v[0].ss);
        }
    char port_s[16] = "";
    if (port != 443)
        snprintf(port_s, sizeof(port_s), ":%lld", port);
    oe_resp_headerf(&s->req, "location", "https://%.*s%s%.*s%s%.*s", (int)s->req.authority.len,
                    s->req.authority.base, port_s, (int)s->req.path.len, s->req.path.base,
                    s->req.query.len ? "?" : "", (int)s->req.query.len, s->req.query.base);
    oe_resp_error(&s->req, 301);
    return true;
}

/* The asterisk-form target (RFC 9112 §3.2.4) names the server as a whole and is defined only for
 * OPTIONS (RFC 9110 §9.3.7): the answer lists every method some route of the site takes, and
 * OPTIONS itself. Any other method with "*" is 400. */
static void asterisk(conn_t *c, oe_req_t *req)
{
    if (!oe_req_method_is(req, "OPTIONS")) {
        oe_resp_error(req, 400);
        return;
    }
    oe_http_t *http = c->w->http;
    unsigned methods = OE_M_OPTIONS;
    for (size_t i = 0; i < http->nroutes; i++)
        if (http->routes[i].site == NULL || http->routes[i].site == req->site)
            methods |= http->routes[i].methods;
    allow_header(req, methods);
    oe_resp_send(req, 204, NULL, 0);
}

/* The longest matching prefix decides; among its routes, the method picks one. NULL when none
 * takes the method; *allowed then has the methods the longest prefix's routes take. */
static const route_t *find_route(const oe_http_t *http, const oe_site_t *site, oe_slice_t path,
                                 unsigned bit, unsigned *allowed)
{
    size_t longest = 0;
    bool any = false;
    for (size_t i = 0; i < http->nroutes; i++) {
        const route_t *r = &http->routes[i];
        if ((r->site == NULL || r->site == site) && prefix_match(r, path)) {
            any = true;
            longest = OE_MAX(longest, r->prefix_len);
        }
    }
    for (size_t i = 0; any && i < http->nroutes; i++) {
        const route_t *r = &http->routes[i];
        if ((r->site != NULL && r->site != site) || r->prefix_len != longest ||
            !prefix_match(r, path))
            continue;
        if (r->methods & bit)
            return r;
        *allowed |= r->methods;
    }
    return NULL;
}

bool oe_http__streams(conn_t *c, oe_slice_t host, oe_slice_t path, oe_slice_t method)
{
    oe_http_t *http = c->w->http;
    char buf[256];
    oe_slice_t a;
    if (!oe_http__parse_authority(host, buf, sizeof(buf), &a))
        return false;
    const oe_site_t *site = site_for(http, a);
    if (site == NULL || !oe_http__origin_allows(c, a) || path.len == 0 || path.base[0] != '/')
        return false;
    if (!c->l->conf->tls && c->l->conf->redirect)
        return false; /* redirect() answers before any route */
    const uint8_t *q = memchr(path.base, '?', path.len);
    if (q != NULL)
        path.len = (size_t)(q - path.base);
    unsigned allowed = 0;
    const route_t *r = find_route(http, site, path, method_bit(method), &allowed);
    return r != NULL && (r->methods & OE_M_STREAM);
}

void oe_http__dispatch(conn_t *c, stream_t *s)
{
    oe_http_t *http = c->w->http;
    oe_req_t *req = &s->req;
    s->handled = true;
    req->read_seq = c->w->reads;
    req->head = oe_req_method_is(req, "HEAD");
    const oe_site_t *site = site_for(http, req->authority);
    /* Misdirected: a host we do not serve, or one this connection must not serve (outside its
     * certificate or its origin set): RFC 9110 §15.5.20, RFC 8336 §4. The client retries on a
     * fresh connection. */
    if (site == NULL || !oe_http__origin_allows(c, req->authority)) {
        oe_resp_error(req, 421);
        return;
    }
    req->site = site;
    if (req->path.len == 1 && req->path.base[0] == '*') {
        asterisk(c, req);
        return;
    }
    if (redirect(c, s))
        return;
    unsigned allowed = 0;
    const route_t *r = find_route(http, site, req->path, method_bit(req->method), &allowed);
    if (r != NULL) {
        r->fn(req, r->data);
        return;
    }
    if (allowed != 0) {
        allow_header(req, allowed & OE_M_ANY);
        oe_resp_error(req, 405);
        return;
    }
    oe_resp_error(req, 404);
}
