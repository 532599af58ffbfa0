/* The reverse proxy's pure parts: backend entries as configured, the Connection field's token
 * list, and the request head a backend receives (privacy by default, hop-by-hop fields gone).
 * The unit is included so that its static functions can be called directly. */
#include "rproxy/rproxy.c"
#include "unit/test.h"

static bool backend_ok(const char *value, backend_t *b)
{
    char err[512];
    memset(b, 0, sizeof(*b));
    return parse_backend(value, b, err, sizeof(err));
}

static const char *backend_err(const char *value)
{
    static char err[512];
    backend_t b;
    err[0] = '\0';
    if (parse_backend(value, &b, err, sizeof(err)))
        return "(accepted)";
    return err;
}

TEST(rproxy_backend_entries)
{
    backend_t b;
    CHECK(backend_ok("http://127.0.0.1:3000", &b));
    CHECK_STR(b.prefix, "/");
    CHECK(!b.dest.unix_path);
    CHECK_INT(b.dest.addr.ss_family, AF_INET);
    CHECK_INT(ntohs(((struct sockaddr_in *)&b.dest.addr)->sin_port), 3000);
    CHECK(backend_ok("/api http://[::1]:8081/", &b));
    CHECK_STR(b.prefix, "/api");
    CHECK_INT(b.dest.addr.ss_family, AF_INET6);
    CHECK(backend_ok("/x  http://localhost:80", &b));
    CHECK_STR(b.prefix, "/x");
    CHECK_INT(b.dest.addr.ss_family, AF_INET);
    CHECK(backend_ok("unix:/run/app.sock", &b));
    CHECK(b.dest.unix_path);
    CHECK(!b.https);
    CHECK_STR(b.dest.path, "/run/app.sock");
    /* https: the certificate name defaults to the URL's host (backend-server-name replaces it). */
    CHECK(backend_ok("/s https://[::1]:8443", &b));
    CHECK(b.https);
    CHECK_STR(b.dest.name, "::1");
    CHECK(backend_ok("https://localhost:8443/", &b));
    CHECK(b.https);
    CHECK_STR(b.dest.name, "localhost");
    CHECK(backend_ok("http://127.0.0.1:80", &b));
    CHECK(!b.https);
}

TEST(rproxy_backend_entries_refused)
{
    CHECK_STR(backend_err(""), "\"\" is not \"[PREFIX] URL\"");
    CHECK_STR(backend_err("/a /b http://127.0.0.1:1"),
              "\"/a /b http://127.0.0.1:1\" is not \"[PREFIX] URL\"");
    CHECK_STR(backend_err("api http://127.0.0.1:1"),
              "prefix \"api\" is not a path (\"/\" then no ?, # or %)");
    CHECK_STR(backend_err("/a?b http://127.0.0.1:1"),
              "prefix \"/a?b\" is not a path (\"/\" then no ?, # or %)");
    CHECK_STR(backend_err("ftp://127.0.0.1:1"),
              "\"ftp://127.0.0.1:1\" is not http(s)://IP:PORT or unix:/PATH");
    CHECK_STR(backend_err("http://app.example:80"),
              "\"http://app.example:80\": the host must be an IP address or localhost, with a "
              "port");
    CHECK_STR(backend_err("http://127.0.0.1"),
              "\"http://127.0.0.1\": the host must be an IP address or localhost, with a port");
    CHECK_STR(backend_err("http://127.0.0.1:1/app"),
              "\"http://127.0.0.1:1/app\": a backend URL has no path (requests keep theirs)");
    CHECK_STR(backend_err("unix:run.sock"),
              "\"unix:run.sock\": unix: needs an absolute path of at most 107 bytes");
    CHECK_STR(backend_err("https://app.example"),
              "\"https://app.example\": the host must be an IP address or localhost, with a "
              "port");
}

TEST(rproxy_connection_tokens)
{
    oe_slice_t v = OE_SLICE_STR("keep-alive, X-Private ,close");
    CHECK(named_in(v, OE_SLICE_STR("x-private")));
    CHECK(named_in(v, OE_SLICE_STR("keep-alive")));
    CHECK(named_in(v, OE_SLICE_STR("close")));
    CHECK(!named_in(v, OE_SLICE_STR("x-priv")));
    CHECK(!named_in(v, OE_SLICE_STR("private")));
    CHECK(!named_in(OE_SLICE_STR(""), OE_SLICE_STR("a")));
}

/* A request as an engine hands it over, and the head the backend gets for it. */
static void head_of(const oe_site_t *site, const oe_header_t *h, size_t n, int version,
                    int64_t length, oe_buf_t *out)
{
    static oe_req_t req;
    memset(&req, 0, sizeof(req));
    req.method = OE_SLICE_STR("POST");
    req.path = OE_SLICE_STR("/api/x");
    req.query = OE_SLICE_STR("a=1");
    req.authority = OE_SLICE_STR("app.test");
    req.headers = h;
    req.nheaders = n;
    req.version = version;
    req.tls = true;
    req.site = site;
    px_t px = {.req = &req};
    out->len = 0;
    build_head(&px, out, length);
    oe_buf_append(out, "", 1);
}

#define H(n, v)                                                                                    \
    {                                                                                              \
        OE_SLICE_STR(n), OE_SLICE_STR(v)                                                           \
    }

TEST(rproxy_request_head_privacy_and_hop_by_hop)
{
    oe_site_t site = {0};
    const oe_header_t h[] = {
        H("host", "app.test:8443"),
        H("connection", "keep-alive, x-secret"),
        H("x-secret", "1"),
        H("keep-alive", "timeout=5"),
        H("te", "trailers"),
        H("transfer-encoding", "chunked"),
        H("upgrade", "h2c"),
        H("proxy-authorization", "Basic eA=="),
        H("x-forwarded-for", "192.0.2.7"),
        H("x-forwarded-host", "evil.test"),
        H("x-forwarded-proto", "http"),
        H("x-real-ip", "192.0.2.7"),
        H("forwarded", "for=192.0.2.7"),
        H("via", "1.1 elsewhere"),
        H("expect", "100-continue"),
        H("content-length", "5"),
        H("accept", "*/*"),
    };
    oe_buf_t b = {0};
    head_of(&site, h, OE_ARRAY_SIZE(h), 11, -1, &b);
    CHECK_STR((const char *)b.base, "POST /api/x?a=1 HTTP/1.1\r\n"
                                    "host: app.test\r\n"
                                    "accept: */*\r\n"
                                    "x-forwarded-proto: https\r\n"
                                    "x-forwarded-host: app.test\r\n"
                                    "transfer-encoding: chunked\r\n"
                                    "\r\n");
    oe_buf_free(&b);
}

TEST(rproxy_request_head_http2_cookies_via_length)
{
    oe_site_t site = {.via = true};
    const oe_header_t h[] = {H("cookie", "a=1"), H("accept", "*/*"), H("cookie", "b=2")};
    oe_buf_t b = {0};
    head_of(&site, h, OE_ARRAY_SIZE(h), 20, 5, &b);
    CHECK_STR((const char *)b.base, "POST /api/x?a=1 HTTP/1.1\r\n"
                                    "host: app.test\r\n"
                                    "cookie: a=1; b=2\r\n"
                                    "accept: */*\r\n"
                                    "x-forwarded-proto: https\r\n"
                                    "x-forwarded-host: app.test\r\n"
                                    "via: 2 odoh-edge\r\n"
                                    "content-length: 5\r\n"
                                    "\r\n");
    /* A POST without a body still says so. */
    head_of(&site, h, 0, 11, 0, &b);
    CHECK_STR((const char *)b.base, "POST /api/x?a=1 HTTP/1.1\r\n"
                                    "host: app.test\r\n"
                                    "x-forwarded-proto: https\r\n"
                                    "x-forwarded-host: app.test\r\n"
                                    "via: 1.1 odoh-edge\r\n"
                                    "content-length: 0\r\n"
                                    "\r\n");
    oe_buf_free(&b);
}
