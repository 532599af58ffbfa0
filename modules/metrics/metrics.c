/*
 * [metrics]: a plain-HTTP listener on the main loop (default off; meant for loopback or a
 * monitoring network) serving the Prometheus text format at /metrics and a health check at
 * /healthz. Counters come from core/stats.h (per-thread arrays summed here); nothing exposed
 * carries a client address, a query name or a label without a bound.
 *
 * The listener belongs to the process, not to a generation: a reload that keeps the address
 * keeps the socket (the new generation starts before the old one stops, so binding again would
 * collide); one that changes it binds the new address first and closes the old one when the old
 * generation stops.
 *
 * The HTTP side is deliberately small: one request per connection (GET or HEAD, request line
 * and headers within 4 KiB, 5 s to send them), then the response and close.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <uv.h>

#include "core/core.h"
#include "core/log.h"
#include "core/module.h"
#include "core/oe.h"
#include "core/stats.h"
#include "core/version.h"
#include "http/http.h"

#define TAG         "metrics"
#define REQ_MAX     4096
#define REQ_TIMEOUT 5000

typedef struct metrics_conf {
    oe_sockaddr_t address;
    const char *site_name;   /* [site] that also serves /metrics and /healthz over HTTPS */
    const char *path_prefix; /* before /metrics and /healthz on that site ("" by default) */
} metrics_conf_t;

/* A generation's state (ctx->data). */
typedef struct site_routes {
    char metrics[256], healthz[256]; /* the paths on the site, when site is set */
    oe_runtime_t *rt;
    struct listener *l; /* the plain listener this generation uses, if any */
} site_routes_t;

typedef struct listener {
    uv_tcp_t tcp;
    char text[128]; /* the address as configured */
    unsigned users; /* generations using it */
    oe_runtime_t *rt;
    struct listener *next;
} listener_t;

typedef struct client {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    listener_t *l;
    char req[REQ_MAX];
    size_t len;
    char *resp;
    int handles;
    bool answered;
} client_t;

static listener_t *listeners;
extern const oe_module_t oe_metrics_module;

/* ---- exposition ------------------------------------------------------------------------------ */

static void put(oe_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(oe_buf_t *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        oe_buf_append(b, line, OE_MIN((size_t)n, sizeof(line) - 1));
}

static void family(oe_buf_t *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long long sum(oe_stat_t s)
{
    return (unsigned long long)oe_stat_sum(s);
}

static void counter(oe_buf_t *b, const char *name, const char *help, oe_stat_t s)
{
    family(b, name, "counter", help);
    put(b, "%s %llu\n", name, sum(s));
}

static void labelled(oe_buf_t *b, const char *name, const char *label, const char *const *values,
                     oe_stat_t first, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, "%s{%s=\"%s\"} %llu\n", name, label, values[i], sum((oe_stat_t)(first + i)));
}

static void timestamp(oe_buf_t *b, const char *name, const char *help, oe_gauge_t g)
{
    family(b, name, "gauge", help);
    put(b, "%s %ld\n", name, oe_gauge_get(g));
}

/* A label value from configured text, escaped as the text format requires (\\, \", \n). */
static void label_escape(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (; *in != '\0' && n + 3 < cap; in++) {
        if (*in == '\\' || *in == '"' || *in == '\n')
            out[n++] = '\\';
        out[n++] = *in == '\n' ? 'n' : *in;
    }
    out[n] = '\0';
}

/* Upstream queries and latency by upstream address: every address used since the start (the
 * configuration bounds them), and "other" once more than OE_STAT_UPSTREAMS were used. */
static void upstreams(oe_buf_t *b)
{
    static const unsigned bounds_ms[] = {OE_STAT_LATENCY_BUCKETS_MS};
    static const char *const results[] = {"ok", "timeout", "failed"};
    char names[OE_STAT_UPSTREAMS + 1][64];
    bool have[OE_STAT_UPSTREAMS + 1];
    snprintf(names[0], sizeof(names[0]), "other");
    have[0] = false;
    for (int id = 0; id <= OE_STAT_UPSTREAMS; id++) {
        if (id > 0)
            have[id] = oe_stat_upstream_name(id, names[id], sizeof(names[id]));
        else
            for (int r = OE_USTAT_OK; r <= OE_USTAT_FAILED; r++)
                have[0] = have[0] || oe_stat_upstream_sum(0, (oe_ustat_t)r) > 0;
    }
    family(b, "odoh_edge_upstream_queries_total", "counter",
           "Queries to the upstream resolvers by upstream (the last one a query tried) and "
           "result.");
    for (int id = 0; id <= OE_STAT_UPSTREAMS; id++)
        for (int r = 0; have[id] && r < 3; r++)
            put(b, "odoh_edge_upstream_queries_total{upstream=\"%s\",result=\"%s\"} %llu\n",
                names[id], results[r],
                (unsigned long long)oe_stat_upstream_sum(id, (oe_ustat_t)(OE_USTAT_OK + r)));
    family(b, "odoh_edge_upstream_latency_seconds", "histogram",
           "Time from a query to its upstream answer by upstream, answered queries only.");
    for (int id = 0; id <= OE_STAT_UPSTREAMS; id++) {
        if (!have[id])
            continue;
        unsigned long long cum = 0;
        for (size_t i = 0; i <= OE_STAT_NLATENCY; i++) {
            cum += oe_stat_upstream_sum(id, (oe_ustat_t)(OE_USTAT_LATENCY_LE + i));
            if (i < OE_STAT_NLATENCY)
                put(b,
                    "odoh_edge_upstream_latency_seconds_bucket{upstream=\"%s\",le=\"%g\"} %llu\n",
                    names[id], bounds_ms[i] / 1000.0, cum);
            else
                put(b,
                    "odoh_edge_upstream_latency_seconds_bucket{upstream=\"%s\",le=\"+Inf\"} %llu\n",
                    names[id], cum);
        }
        put(b, "odoh_edge_upstream_latency_seconds_sum{upstream=\"%s\"} %.6f\n", names[id],
            (double)oe_stat_upstream_sum(id, OE_USTAT_LATENCY_SUM_US) / 1e6);
        put(b, "odoh_edge_upstream_latency_seconds_count{upstream=\"%s\"} %llu\n", names[id], cum);
    }
}

/* The Oblivious HTTP roles; relay results are named as the proxy's (results). */
static void ohttp(oe_buf_t *b, const char *const *results)
{
    static const char *const gateway[] = {"ok",        "unknown_key", "decrypt_failed",
                                          "truncated", "415",         "other"};
    static const char *const inner[] = {"2xx", "3xx", "4xx", "5xx", "timeout"};
    static const char *const forms[] = {"list", "single", "none"};
    family(b, "odoh_edge_ohttp_relays_total", "counter",
           "OHTTP relay requests by result (ok = forwarded, the gateway's status passed through; "
           "else the status of the Proxy-Status error).");
    labelled(b, "odoh_edge_ohttp_relays_total", "result", results, OE_STAT_RELAY_OK, 7);
    family(b, "odoh_edge_ohttp_gateway_requests_total", "counter",
           "OHTTP gateway requests by result: ok (decapsulated and answered, outer 200), "
           "unknown_key or decrypt_failed (400 ohttp-key), truncated (400), 415 (not "
           "message/ohttp-req), other (500).");
    labelled(b, "odoh_edge_ohttp_gateway_requests_total", "result", gateway, OE_STAT_GATEWAY_OK, 6);
    family(b, "odoh_edge_ohttp_gateway_inner_responses_total", "counter",
           "Encapsulated responses of the OHTTP gateway by inner status class (timeout = 504, "
           "not counted in 5xx).");
    labelled(b, "odoh_edge_ohttp_gateway_inner_responses_total", "result", inner,
             OE_STAT_GATEWAY_INNER_2XX, 5);
    family(b, "odoh_edge_ohttp_key_config_requests_total", "counter",
           "OHTTP key configuration requests by the form served: list (RFC 9458), single "
           "(keys-form = single), none (503, no key published yet).");
    labelled(b, "odoh_edge_ohttp_key_config_requests_total", "form", forms, OE_STAT_OHTTP_KEYS_LIST,
             3);
}

/* Prometheus text format 0.0.4. */
static void expose(oe_buf_t *b)
{
    static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static const char *const tls_reasons[] = {"protocol",    "version", "no_cipher",
                                              "certificate", "alert",   "timeout"};
    static const char *const target[] = {"ok", "400", "401", "415", "502", "504", "other"};
    static const char *const proxy[] = {"ok", "400", "403", "415", "502", "504", "other"};
    char labels[256];

    oe_version_labels(labels, sizeof(labels));
    family(b, "odoh_edge_build_info", "gauge",
           "Versions of odoh-edge and of the libraries it was built with (always 1).");
    put(b, "odoh_edge_build_info{%s} 1\n", labels);

    uint64_t acc = oe_stat_sum(OE_STAT_CONN_ACCEPTED), closed = oe_stat_sum(OE_STAT_CONN_CLOSED);
    family(b, "odoh_edge_connections_open", "gauge", "Client connections open now.");
    put(b, "odoh_edge_connections_open %llu\n",
        (unsigned long long)(acc > closed ? acc - closed : 0));
    counter(b, "odoh_edge_connections_accepted_total", "Client connections accepted.",
            OE_STAT_CONN_ACCEPTED);
    counter(b, "odoh_edge_connections_refused_total",
            "Client connections refused because max-connections was reached.",
            OE_STAT_CONN_REFUSED);
    counter(b, "odoh_edge_tls_handshakes_total", "TLS handshakes completed.", OE_STAT_TLS_OK);
    family(b, "odoh_edge_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed, by reason.");
    labelled(b, "odoh_edge_tls_handshake_failures_total", "reason", tls_reasons,
             OE_STAT_TLS_FAIL_PROTOCOL, 6);
    counter(b, "odoh_edge_http2_origin_frames_sent_total", "HTTP/2 ORIGIN frames sent (RFC 8336).",
            OE_STAT_ORIGIN_SENT);

    family(b, "odoh_edge_http_responses_total", "counter",
           "HTTP responses by site (empty: no site matched), protocol and status class.");
    static const char *const protocols[] = {"http/1.1", "h2"};
    for (int id = 0; id <= OE_STAT_SITES; id++) {
        char raw[64] = "", name[128];
        if (id > 0 && !oe_stat_site_name(id, raw, sizeof(raw)))
            continue;
        label_escape(name, sizeof(name), raw);
        for (int h2 = 0; h2 < 2; h2++)
            for (int cls = 1; cls <= 5; cls++)
                put(b,
                    "odoh_edge_http_responses_total{site=\"%s\",protocol=\"%s\",code=\"%s\"} "
                    "%llu\n",
                    name, protocols[h2], classes[cls - 1],
                    (unsigned long long)oe_stat_site_sum(id, h2, cls));
    }

    family(b, "odoh_edge_target_queries_total", "counter",
           "ODoH and DoH queries at the target by kind and result (ok = 200, else the HTTP "
           "status).");
    for (size_t i = 0; i < 7; i++)
        put(b, "odoh_edge_target_queries_total{kind=\"odoh\",result=\"%s\"} %llu\n", target[i],
            sum((oe_stat_t)(OE_STAT_TARGET_OK + i)));
    for (size_t i = 0; i < 7; i++)
        put(b, "odoh_edge_target_queries_total{kind=\"doh\",result=\"%s\"} %llu\n", target[i],
            sum((oe_stat_t)(OE_STAT_TARGET_DOH_OK + i)));
    counter(b, "odoh_edge_hpke_open_failures_total",
            "ODoH queries that could not be opened: malformed, or failing to decrypt (400).",
            OE_STAT_HPKE_OPEN_FAILED);
    family(b, "odoh_edge_proxy_relays_total", "counter",
           "ODoH proxy requests by result (ok = relayed, else the status of the Proxy-Status "
           "error).");
    labelled(b, "odoh_edge_proxy_relays_total", "result", proxy, OE_STAT_PROXY_OK, 7);
    ohttp(b, proxy);

    upstreams(b);

    if (oe_gauge_get(OE_GAUGE_KEYS_ACTIVE)) {
        family(b, "odoh_edge_keys", "gauge", "HPKE keys of the target by state.");
        put(b, "odoh_edge_keys{state=\"next\"} %ld\n", oe_gauge_get(OE_GAUGE_KEYS_NEXT));
        put(b, "odoh_edge_keys{state=\"current\"} %ld\n", oe_gauge_get(OE_GAUGE_KEYS_CURRENT));
        put(b, "odoh_edge_keys{state=\"previous\"} %ld\n", oe_gauge_get(OE_GAUGE_KEYS_PREVIOUS));
        timestamp(b, "odoh_edge_key_next_activation_timestamp_seconds",
                  "When the published next key becomes current (0: none yet).",
                  OE_GAUGE_KEY_NEXT_ACTIVATE);
        timestamp(b, "odoh_edge_key_current_retirement_timestamp_seconds",
                  "When the current key retires.", OE_GAUGE_KEY_CURRENT_RETIRE);
        timestamp(b, "odoh_edge_publication_zone_file_timestamp_seconds",
                  "Last successful write of the zone file (0: never).", OE_GAUGE_PUBLISH_ZONE);
        timestamp(b, "odoh_edge_publication_dns_update_timestamp_seconds",
                  "Last DNS UPDATE the server accepted and serves (0: never).",
                  OE_GAUGE_PUBLISH_UPDATE);
    }
    family(b, "odoh_edge_reloads_total", "counter", "Configuration reloads by result.");
    put(b, "odoh_edge_reloads_total{result=\"ok\"} %llu\n", sum(OE_STAT_RELOAD_OK));
    put(b, "odoh_edge_reloads_total{result=\"failed\"} %llu\n", sum(OE_STAT_RELOAD_FAILED));
}

/* 200 "ok" or 503 with the reason. */
static int health(const oe_runtime_t *rt, char *why, size_t cap)
{
    if (oe_runtime_stopping(rt)) {
        snprintf(why, cap, "stopping");
        return 503;
    }
    if (oe_gauge_get(OE_GAUGE_KEYS_ACTIVE) && oe_gauge_get(OE_GAUGE_KEYS_CURRENT) == 0) {
        snprintf(why, cap, "the target has no current key");
        return 503;
    }
    snprintf(why, cap, "ok");
    return 200;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static void on_client_closed(uv_handle_t *h)
{
    client_t *c = h->data;
    if (--c->handles == 0) {
        free(c->resp);
        free(c);
    }
}

static void client_close(client_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
    uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void on_written(uv_write_t *w, int status)
{
    client_close(w->data);
}

static void respond(client_t *c, int status, const char *type, const char *body, size_t len,
                    bool head)
{
    const char *reason = status == 200   ? "OK"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                         : status == 503 ? "Service Unavailable"
                                         : "Bad Request";
    char hdr[256];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                     status, reason, type, len);
    size_t body_len = head ? 0 : len;
    c->resp = oe_malloc((size_t)n + body_len);
    memcpy(c->resp, hdr, (size_t)n);
    if (body_len > 0)
        memcpy(c->resp + n, body, body_len);
    uv_buf_t b = uv_buf_init(c->resp, (unsigned)((size_t)n + body_len));
    c->answered = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
        client_close(c);
}

static void handle(client_t *c)
{
    const char *text = "text/plain; charset=utf-8";
    bool head = strncmp(c->req, "HEAD ", 5) == 0;
    if (!head && strncmp(c->req, "GET ", 4) != 0) {
        respond(c, 405, text, "405 Method Not Allowed\n", 23, false);
        return;
    }
    const char *path = c->req + (head ? 5 : 4);
    size_t plen = strcspn(path, " ?\r\n");
    if (plen == 8 && memcmp(path, "/metrics", 8) == 0) {
        oe_buf_t b = {0};
        expose(&b);
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", (const char *)b.base, b.len,
                head);
        oe_buf_free(&b);
    } else if (plen == 8 && memcmp(path, "/healthz", 8) == 0) {
        char why[128];
        int status = health(c->l->rt, why, sizeof(why) - 1);
        strcat(why, "\n");
        respond(c, status, text, why, strlen(why), head);
    } else {
        respond(c, 404, text, "404 Not Found\n", 14, head);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    client_t *c = h->data;
    *buf = uv_buf_init(c->req + c->len, (unsigned)(REQ_MAX - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    client_t *c = s->data;
    if (n < 0) {
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    c->req[c->len] = '\0';
    if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL) {
        handle(c);
    } else if (c->len >= REQ_MAX - 1) {
        respond(c, 400, "text/plain", "400 Bad Request\n", 16, false);
    }
}

static void on_timeout(uv_timer_t *t)
{
    client_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    listener_t *l = server->data;
    if (status < 0)
        return;
    client_t *c = oe_calloc(1, sizeof(*c));
    c->l = l;
    uv_tcp_init(server->loop, &c->tcp);
    uv_timer_init(server->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        client_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, REQ_TIMEOUT, 0);
}

/* ---- on a TLS site -----------------------------------------------------------------------------
 */

/* The same answers as the plain listener, through the site's HTTP server (a worker thread: the
 * counters and gauges are read with atomic loads). A longer path under the route is 404. */
static void on_site_request(oe_req_t *req, void *data)
{
    const site_routes_t *r = data;
    bool metrics = req->path.len == strlen(r->metrics) &&
                   memcmp(req->path.base, r->metrics, req->path.len) == 0;
    bool healthz = req->path.len == strlen(r->healthz) &&
                   memcmp(req->path.base, r->healthz, req->path.len) == 0;
    oe_resp_header(req, "cache-control", "no-store");
    if (metrics) {
        oe_buf_t b = {0};
        expose(&b);
        oe_resp_header(req, "content-type", "text/plain; version=0.0.4; charset=utf-8");
        oe_resp_send(req, 200, b.base, b.len);
        oe_buf_free(&b);
    } else if (healthz) {
        char why[128];
        int status = health(r->rt, why, sizeof(why) - 1);
        strcat(why, "\n");
        oe_resp_header(req, "content-type", "text/plain; charset=utf-8");
        oe_resp_send(req, status, why, strlen(why));
    } else {
        oe_resp_error(req, 404);
    }
}

/* ---- module ---------------------------------------------------------------------------------- */

#define F(field) offsetof(metrics_conf_t, field)
static const oe_directive_t directives[] = {
    {"address", oe_conf_set_addr, F(address), NULL, 0,
     "IP:port of the plain-HTTP listener for /metrics and /healthz, e.g. 127.0.0.1:9477"},
    {"site", oe_conf_set_string, F(site_name), NULL, 0,
     "a [site] that also serves /metrics and /healthz over HTTPS"},
    {"path-prefix", oe_conf_set_string, F(path_prefix), NULL, 0,
     "on that site, a path before /metrics and /healthz, e.g. /ops (default none)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef F

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    metrics_conf_t *c = conf;
    if (!oe_conf_key_set(sec, "address") && c->site_name == NULL) {
        oe_conf_error_key(cf, sec, NULL,
                          "needs \"address = IP:PORT\" (e.g. 127.0.0.1:9477) or \"site = NAME\"");
        return OE_ECONFIG;
    }
    if (c->path_prefix != NULL && c->site_name == NULL) {
        oe_conf_error_key(cf, sec, "path-prefix", "needs \"site = NAME\"");
        return OE_ECONFIG;
    }
    const char *p = c->path_prefix;
    if (p != NULL &&
        (p[0] != '/' || p[strlen(p) - 1] == '/' || strlen(p) > 200 || strpbrk(p, "?# ") != NULL)) {
        oe_conf_error_key(cf, sec, "path-prefix",
                          "must start with '/', not end with '/', and have no '?', '#' or space");
        return OE_ECONFIG;
    }
    return 0;
}

static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_metrics_module, 0);
    if (sec == NULL)
        return 0;
    metrics_conf_t *c = sec->conf;
    if (c->site_name != NULL && oe_http_conf_site(cf, sec, c->site_name) == NULL)
        return OE_ECONFIG;
    return 0;
}

static int init(oe_modctx_t *ctx)
{
    const metrics_conf_t *c = oe_conf_get(ctx->cf, &oe_metrics_module);
    site_routes_t *r = oe_calloc(1, sizeof(*r));
    r->rt = ctx->rt;
    ctx->data = r;
    if (c->site_name == NULL)
        return 0;
    oe_http_t *http = oe_http_of(ctx);
    const oe_site_t *site = oe_http_site_by_name(ctx->cf, c->site_name);
    if (http == NULL || site == NULL) {
        oe_log_error(TAG, "site %s: no HTTP server for it", c->site_name);
        return OE_ECONFIG;
    }
    const char *pre = c->path_prefix != NULL ? c->path_prefix : "";
    snprintf(r->metrics, sizeof(r->metrics), "%s/metrics", pre);
    snprintf(r->healthz, sizeof(r->healthz), "%s/healthz", pre);
    if (oe_http_route(http, site, OE_M_GET | OE_M_HEAD, r->metrics, on_site_request, r) < 0 ||
        oe_http_route(http, site, OE_M_GET | OE_M_HEAD, r->healthz, on_site_request, r) < 0)
        return OE_ECONFIG;
    oe_log_info(TAG, "serving %s and %s on site %s (HTTPS)", r->metrics, r->healthz, c->site_name);
    return 0;
}

static void destroy(oe_modctx_t *ctx)
{
    free(ctx->data);
    ctx->data = NULL;
}

static void on_listener_closed(uv_handle_t *h)
{
    free(h->data);
}

static int start(oe_modctx_t *ctx)
{
    const metrics_conf_t *c = oe_conf_get(ctx->cf, &oe_metrics_module);
    site_routes_t *r = ctx->data;
    if (c->address.text[0] == '\0')
        return 0;
    for (listener_t *l = listeners; l != NULL; l = l->next)
        if (strcmp(l->text, c->address.text) == 0 && l->users > 0) {
            l->users++;
            l->rt = ctx->rt;
            r->l = l;
            return 0;
        }
    listener_t *l = oe_calloc(1, sizeof(*l));
    snprintf(l->text, sizeof(l->text), "%s", c->address.text);
    l->rt = ctx->rt;
    uv_tcp_init(ctx->loop, &l->tcp);
    l->tcp.data = l;
    int rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&c->address.ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, 64, on_connection);
    if (rc < 0) {
        oe_log_error(TAG, "cannot listen on %s: %s", l->text, uv_strerror(rc));
        uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
        return rc; /* libuv errors are negative errno values on Unix */
    }
    l->users = 1;
    l->next = listeners;
    listeners = l;
    r->l = l;
    oe_log_info(TAG, "serving /metrics and /healthz on %s (plain HTTP)", l->text);
    return 0;
}

static void stop(oe_modctx_t *ctx)
{
    site_routes_t *r = ctx->data;
    listener_t *l = r != NULL ? r->l : NULL;
    if (l == NULL || --l->users > 0)
        return;
    r->l = NULL;
    for (listener_t **p = &listeners; *p != NULL; p = &(*p)->next)
        if (*p == l) {
            *p = l->next;
            break;
        }
    uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
}

const oe_module_t oe_metrics_module = {
    .name = "metrics",
    .section = "metrics",
    .conf_size = sizeof(metrics_conf_t),
    .directives = directives,
    .summary = "Prometheus /metrics and /healthz on a plain-HTTP listener (off unless configured)",
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .destroy = destroy,
    .start = start,
    .stop = stop,
};
