/*
 * The ODoH proxy (RFC 9230 §4.2; the "relay"): POST PATH?targethost=H&targetpath=P with an
 * application/oblivious-dns-message body is forwarded to https://H/P and the target's answer is
 * passed back unchanged, status included (a 401 tells the client to refresh its configs).
 *
 * What the proxy must never do: relay to a target that is not allowed, reach into the operator's
 * network, follow a redirect, or pass on anything that identifies the client. Only content-type,
 * accept and content-length go out; nothing about the client is logged.
 *
 * Statuses, each with a Proxy-Status header (RFC 9209): malformed request 400, wrong media type
 * 415, target not allowed or at a private address 403, target unreachable 502, time-out 504,
 * otherwise the target's status with received-status=N.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "core/core.h"
#include "core/log.h"
#include "core/net.h"
#include "core/uri.h"
#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "dns/upstream.h"
#include "http/client.h"
#include "http/http.h"
#include "odoh_proxy/proxy_addr.h"
#include "odoh_proxy/proxy_fwd.h"
#include "tls/tls.h"

#define TAG        "odoh-proxy"
#define MEDIA_ODOH "application/oblivious-dns-message"

typedef struct allow {
    const char *host; /* lower-case, or "*" */
    unsigned port;    /* 0 = 443 */
} allow_t;

typedef struct proxy_conf {
    const char *site_name;
    const char *path;
    oe_strlist_t allow_list;
    oe_proxy_fwd_conf_t fwd;
    /* built by conf_check */
    allow_t *allow;
    size_t nallow;
} proxy_conf_t;

/* The forwarding engine, shared with the OHTTP relay (modules/ohttp_relay): TLS client, per-worker
 * pooled HTTPS client and resolver. */
struct oe_proxy_fwd {
    const oe_proxy_fwd_conf_t *conf;
    oe_tls_client_t *tls;
    int hook;
    oe_stat_t stats; /* the first of the role's seven result counters */
};

typedef struct proxy {
    const proxy_conf_t *conf;
    const oe_site_t *site;
    oe_proxy_fwd_t *fwd;
} proxy_t;

typedef struct worker_state {
    oe_http_client_t *http;
    oe_upstream_t *dns;
} worker_state_t;

typedef struct job {
    oe_req_t *req;
    const oe_proxy_fwd_t *f;
    worker_state_t *ws;
    char host[300];
    unsigned port;
    char path[1024];
    char media[64];      /* content-type of the forwarded request */
    char accept[64];     /* its accept */
    bool explicit_allow; /* the allow-list names this host (not just "*") */
    const char *method;  /* "POST" unless the destination says otherwise (static strings) */
    oe_slice_t body;     /* what goes out: req's body, or the caller's (borrowed) */
    oe_proxy_done_fn done;
    void *done_arg;
    oe_upstream_query_t *dq;
    oe_upstream_lookup_t lookup;
    oe_http_call_t *call;
    struct sockaddr_storage addr;
} job_t;

/* ---- replies ------------------------------------------------------------------------------- */

void oe_proxy_deny(oe_req_t *req, oe_stat_t stats, int status, const char *error,
                   const char *details)
{
    if (details != NULL)
        oe_resp_headerf(req, "proxy-status", "odoh-edge; error=%s; details=\"%s\"", error, details);
    else
        oe_resp_headerf(req, "proxy-status", "odoh-edge; error=%s", error);
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    oe_stat_proxy_result(stats, status, 0);
    oe_resp_error(req, status);
}

static void job_end(job_t *j)
{
    free(j);
}

/* Ends the job with an error: a Proxy-Status answer on req, or the caller's done. */
static void job_deny(job_t *j, int status, const char *error, const char *details)
{
    j->req->on_abort = NULL;
    if (j->done != NULL)
        j->done(j->done_arg, status, OE_SLICE(NULL, 0), OE_SLICE(NULL, 0));
    else
        oe_proxy_deny(j->req, j->f->stats, status, error, details);
    job_end(j);
}

static void on_abort(oe_req_t *req)
{
    job_t *j = req->data;
    if (j->dq != NULL)
        oe_upstream_cancel(j->dq);
    if (j->call != NULL)
        oe_http_client_cancel(j->call);
    if (j->done != NULL)
        j->done(j->done_arg, 0, OE_SLICE(NULL, 0), OE_SLICE(NULL, 0));
    job_end(j);
}

static void on_target(void *data, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    job_t *j = data;
    oe_req_t *req = j->req;
    j->call = NULL;
    req->on_abort = NULL;
    if (status < 0) {
        bool timeout = status == OE_HTTPC_ETIMEOUT;
        job_deny(j, timeout ? 504 : 502,
                 timeout                       ? "connection_timeout"
                 : status == OE_HTTPC_ETLS     ? "tls_certificate_error"
                 : status == OE_HTTPC_ECONNECT ? "connection_refused"
                 : status == OE_HTTPC_EUNREACH ? "destination_ip_unroutable"
                 : status == OE_HTTPC_ETOOBIG  ? "http_response_content_length"
                                               : "http_protocol_error",
                 NULL);
        return;
    }
    if (j->done != NULL) {
        oe_slice_t ctype = OE_SLICE(NULL, 0);
        for (size_t i = 0; i < n; i++)
            if (oe_slice_eq(h[i].name, OE_SLICE_STR("content-type")))
                ctype = h[i].value;
        j->done(j->done_arg, status, ctype, body);
        job_end(j);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (oe_slice_eq(h[i].name, OE_SLICE_STR("content-type"))) {
            char v[128];
            snprintf(v, sizeof(v), "%.*s", (int)OE_MIN(h[i].value.len, sizeof(v) - 1),
                     (const char *)h[i].value.base);
            oe_resp_header(req, "content-type", v);
        }
    oe_resp_headerf(req, "proxy-status", "odoh-edge; received-status=%d", status);
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    oe_stat_proxy_result(j->f->stats, status, 1);
    oe_resp_send(req, status, body.base, body.len);
    job_end(j);
}

/* ---- target address ------------------------------------------------------------------------- */

static void forward(job_t *j)
{
    /* Loopback, private, documentation, NAT64/6to4 around such an address and every other
     * special-purpose range (proxy_addr.h): never reached through "*". */
    if (oe_proxy_special((struct sockaddr *)&j->addr) && !j->explicit_allow) {
        job_deny(j, 403, "destination_ip_prohibited", NULL);
        return;
    }
    oe_sockaddr_set_port((struct sockaddr *)&j->addr, (uint16_t)j->port);
    oe_header_t hdrs[] = {{OE_SLICE_STR("content-type"), OE_SLICE_STR(j->media)},
                          {OE_SLICE_STR("accept"), OE_SLICE_STR(j->accept)}};
    oe_http_request_t r = {.host = j->host,
                           .addr = (struct sockaddr *)&j->addr,
                           .method = j->method,
                           .path = j->path,
                           .headers = hdrs,
                           .nheaders = OE_ARRAY_SIZE(hdrs),
                           .body = j->body};
    j->call = oe_http_client_request(j->ws->http, &r, on_target, j);
}

static void on_addr(void *data, int status, const struct sockaddr_in *addr)
{
    job_t *j = data;
    j->dq = NULL;
    if (status == 0) {
        memcpy(&j->addr, addr, sizeof(*addr));
        forward(j);
        return;
    }
    j->req->on_abort = NULL;
    job_deny(j, 502, "dns_error", oe_strerror(status));
}

static void resolve(job_t *j)
{
    const oe_proxy_fwd_conf_t *c = j->f->conf;
    struct in6_addr a6;
    memset(&j->addr, 0, sizeof(j->addr));
    if (inet_pton(AF_INET, j->host, &((struct sockaddr_in *)&j->addr)->sin_addr) == 1) {
        j->addr.ss_family = AF_INET;
        forward(j);
        return;
    }
    if (inet_pton(AF_INET6, j->host, &a6) == 1) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&j->addr;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = a6;
        forward(j);
        return;
    }
    for (size_t i = 0; i < c->nfixed; i++)
        if (strcmp(c->fixed[i].host, j->host) == 0) {
            j->addr = c->fixed[i].addr;
            forward(j);
            return;
        }
    if (c->upstreams.n == 0) {
        job_deny(j, 502, "dns_error", "no resolver configured for target names");
        return;
    }
    int err = 0;
    j->lookup = (oe_upstream_lookup_t){on_addr, j};
    j->dq = oe_upstream_lookup(j->ws->dns, j->host, &j->lookup, &err);
    if (j->dq == NULL) {
        job_deny(j, 502, "dns_error", oe_strerror(err));
    }
}

/* ---- the request ---------------------------------------------------------------------------- */

/* The percent-decoded value of query parameter name into out; false when absent, empty, too long
 * or badly encoded. */
static bool param(oe_slice_t q, const char *name, char *out, size_t cap)
{
    oe_slice_t v = oe_uri_query_param(q, name);
    return v.base != NULL && oe_uri_pct_decode(out, cap, v, true) > 0;
}

unsigned oe_proxy_parse_port(const char *s)
{
    unsigned v = 0;
    size_t n = 0;
    for (; s[n] >= '0' && s[n] <= '9' && n < 5; n++)
        v = v * 10 + (unsigned)(s[n] - '0');
    return n > 0 && s[n] == '\0' && v <= 65535 ? v : 0;
}

bool oe_proxy_valid_host(char *h)
{
    struct in6_addr a6;
    oe_ascii_lower(h);
    return oe_host_name_valid(OE_SLICE_STR(h), false) || inet_pton(AF_INET6, h, &a6) == 1;
}

bool oe_proxy_valid_path(const char *p)
{
    if (p[0] != '/')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

static void handle(oe_req_t *req, void *data)
{
    proxy_t *p = data;
    if (!oe_req_method_is(req, "POST")) {
        oe_resp_header(req, "allow", "POST");
        oe_proxy_deny(req, OE_STAT_PROXY_OK, 405, "http_request_error", "POST only");
        return;
    }
    oe_slice_t ct = oe_req_header(req, "content-type");
    if (!oe_slice_eq_nocase(ct, OE_SLICE_STR(MEDIA_ODOH))) {
        oe_proxy_deny(req, OE_STAT_PROXY_OK, 415, "http_request_error",
                      "content-type must be " MEDIA_ODOH);
        return;
    }
    char target[300], path[1024];
    /* Unknown parameters are ignored: some clients add their own. */
    /* targethost is host or host:port ([v6]:port is not accepted: IPv6 targets use names). */
    char *colon = NULL;
    bool ok = req->body.len > 0 && param(req->query, "targethost", target, sizeof(target)) &&
              param(req->query, "targetpath", path, sizeof(path)) && oe_proxy_valid_path(path);
    if (ok && (colon = strrchr(target, ':')) != NULL && strchr(target, ':') == colon)
        *colon = '\0';
    else
        colon = NULL;
    if (!ok || !oe_proxy_valid_host(target)) {
        oe_proxy_deny(req, OE_STAT_PROXY_OK, 400, "http_request_error",
                      "needs targethost, targetpath and a body");
        return;
    }
    oe_proxy_dest_t d = {.host = target, .port = 443, .path = path, .media = MEDIA_ODOH};
    if (colon != NULL) {
        d.port = oe_proxy_parse_port(colon + 1);
        if (d.port == 0) {
            oe_proxy_deny(req, OE_STAT_PROXY_OK, 400, "http_request_error",
                          "bad port in targethost");
            return;
        }
    }
    bool allowed = false;
    for (size_t i = 0; i < p->conf->nallow; i++) {
        const allow_t *a = &p->conf->allow[i];
        if (strcmp(a->host, "*") == 0) {
            allowed = true;
        } else if (strcmp(a->host, target) == 0 && (a->port ? a->port : 443) == d.port) {
            allowed = true;
            d.explicit_allow = true;
        }
    }
    if (!allowed) {
        oe_proxy_deny(req, OE_STAT_PROXY_OK, 403, "destination_not_allowed", NULL);
        return;
    }
    oe_proxy_fwd(p->fwd, req, &d);
}

/* ---- worker state ------------------------------------------------------------------------------
 */

void oe_proxy_fwd(oe_proxy_fwd_t *f, oe_req_t *req, const oe_proxy_dest_t *d)
{
    job_t *j = oe_calloc(1, sizeof(*j));
    j->req = req;
    j->f = f;
    j->ws = oe_req_worker_state(req, f->hook);
    snprintf(j->host, sizeof(j->host), "%s", d->host);
    snprintf(j->path, sizeof(j->path), "%s", d->path);
    snprintf(j->media, sizeof(j->media), "%s", d->media);
    snprintf(j->accept, sizeof(j->accept), "%s", d->accept ? d->accept : d->media);
    j->port = d->port;
    j->explicit_allow = d->explicit_allow;
    j->method = d->method != NULL ? d->method : "POST";
    j->body = d->done != NULL ? d->body : req->body;
    j->done = d->done;
    j->done_arg = d->done_arg;
    req->data = j;
    req->on_abort = on_abort;
    resolve(j);
}

static void *worker_start(struct uv_loop_s *loop, void *data)
{
    oe_proxy_fwd_t *f = data;
    worker_state_t *ws = oe_calloc(1, sizeof(*ws));
    oe_http_client_conf_t hc = {.tls = f->tls,
                                .connect_timeout_ms = f->conf->connect_timeout,
                                .request_timeout_ms = f->conf->request_timeout};
    ws->http = oe_http_client_new(loop, &hc);
    oe_upstream_conf_t uc = {.servers = f->conf->upstreams.v, .nservers = f->conf->upstreams.n};
    ws->dns = oe_upstream_new(loop, &uc);
    return ws;
}

static void worker_stop(void *state, void *data)
{
    worker_state_t *ws = state;
    oe_http_client_close(ws->http);
    oe_upstream_close(ws->dns);
    free(ws);
}

/* ---- configuration ------------------------------------------------------------------------------
 */

const oe_conf_range_t oe_proxy_timeout_range = {100, 120000, false};

#define P(f) offsetof(proxy_conf_t, f)
static const oe_directive_t directives[] = {
    {"site", oe_conf_set_string, P(site_name), NULL, 0,
     "the [site] whose host names serve the proxy"},
    {"path", oe_conf_set_string, P(path), NULL, 0, "endpoint path (default /proxy)"},
    {"allow-target", oe_conf_set_strlist, P(allow_list), NULL, OE_CONF_LIST,
     "host[:port] the proxy may relay to (repeatable); \"*\" allows any public target"},
    OE_PROXY_FWD_DIRECTIVES(proxy_conf_t, fwd, "target"),
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef P

static void conf_init(void *conf)
{
    proxy_conf_t *c = conf;
    c->path = "/proxy";
    oe_proxy_fwd_conf_init(&c->fwd);
}

void oe_proxy_fwd_conf_init(oe_proxy_fwd_conf_t *c)
{
    c->connect_timeout = 5000;
    c->request_timeout = 10000;
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    proxy_conf_t *c = conf;
    int rc = 0;
    if (c->site_name == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"site = NAME\" (a [site] serving the proxy)");
        rc = OE_ECONFIG;
    }
    if (c->path[0] != '/') {
        oe_conf_error_key(cf, sec, "path", "must start with '/'");
        rc = OE_ECONFIG;
    }
    if (c->allow_list.n == 0)
        oe_conf_warn_key(cf, sec, NULL, "no allow-target: every request will be denied (403)");
    c->allow = oe_conf_alloc(cf, (c->allow_list.n + 1) * sizeof(*c->allow));
    for (size_t i = 0; i < c->allow_list.n; i++) {
        char *h = oe_conf_strdup(cf, c->allow_list.v[i]);
        char *colon = strrchr(h, ':');
        unsigned port = 0;
        if (colon != NULL) {
            port = oe_proxy_parse_port(colon + 1);
            *colon = '\0';
            if (port == 0) {
                oe_conf_error_key(cf, sec, "allow-target", "\"%s\": bad port", c->allow_list.v[i]);
                rc = OE_ECONFIG;
            }
        }
        if (strcmp(h, "*") == 0)
            oe_conf_warn_key(cf, sec, "allow-target",
                             "\"*\" relays to any public target: this is an open relay for ODoH");
        else if (!oe_proxy_valid_host(h) || strchr(h, ':') != NULL) {
            oe_conf_error_key(cf, sec, "allow-target", "\"%s\" is not host[:port]",
                              c->allow_list.v[i]);
            rc = OE_ECONFIG;
        }
        c->allow[c->nallow++] = (allow_t){h, port};
    }
    if (oe_proxy_fwd_conf_check(cf, sec, &c->fwd) < 0)
        rc = OE_ECONFIG;
    return rc;
}

int oe_proxy_fwd_conf_check(oe_conf_t *cf, oe_conf_section_t *sec, oe_proxy_fwd_conf_t *c)
{
    int rc = 0;
    c->fixed = oe_conf_alloc(cf, (c->resolve_list.n + 1) * sizeof(*c->fixed));
    for (size_t i = 0; i < c->resolve_list.n; i++) {
        const char *v = c->resolve_list.v[i];
        const char *eq = strchr(v, '=');
        oe_proxy_fixed_t *f = &c->fixed[c->nfixed];
        char ip[64];
        if (eq == NULL || eq == v || strlen(eq + 1) >= sizeof(ip)) {
            oe_conf_error_key(cf, sec, "resolve", "\"%s\" is not HOST=IP", v);
            rc = OE_ECONFIG;
            continue;
        }
        snprintf(ip, sizeof(ip), "%s", eq + 1);
        char *host = oe_conf_alloc(cf, (size_t)(eq - v) + 1);
        memcpy(host, v, (size_t)(eq - v));
        if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&f->addr)->sin_addr) == 1)
            f->addr.ss_family = AF_INET;
        else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&f->addr)->sin6_addr) == 1)
            f->addr.ss_family = AF_INET6;
        else {
            oe_conf_error_key(cf, sec, "resolve", "\"%s\" is not an IP address", ip);
            rc = OE_ECONFIG;
            continue;
        }
        oe_ascii_lower(host);
        f->host = host;
        c->nfixed++;
    }
    return rc;
}

extern const oe_module_t oe_odoh_proxy_module;

static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_odoh_proxy_module, 0);
    if (sec == NULL)
        return 0;
    proxy_conf_t *c = sec->conf;
    const oe_site_t *ps = oe_http_conf_site(cf, sec, c->site_name);
    if (ps == NULL)
        return OE_ECONFIG;
    return oe_proxy_check_apart(cf, sec, ps, "odoh-target", "proxy", "target");
}

int oe_proxy_check_apart(oe_conf_t *cf, oe_conf_section_t *sec, const oe_site_t *ps,
                         const char *other, const char *me, const char *them)
{
    /* Privacy: the relay and what it relays to are never coalesced onto one connection, which
     * would hand the far end the client's connection. Different sites, and neither certificate
     * may cover the other's names (a covering certificate lets a browser pool the connection,
     * by ORIGIN frame or by address, whatever the origin setting). */
    /* The other role, when it is compiled in, is in the module table (a proxy-only build has
     * nothing to keep apart from). Not a weak symbol: an object left out of the link must not
     * silently drop this check while the other role still runs. */
    const oe_module_t *tm = oe_module_by_section(other);
    const char *tname = tm != NULL && tm->site_name != NULL ? tm->site_name(cf) : NULL;
    const oe_site_t *ts = tname != NULL ? oe_http_site_by_name(cf, tname) : NULL;
    if (ts == NULL)
        return 0;
    if (ts == ps) {
        oe_conf_error_key(cf, sec, "site",
                          "the %s and the %s must be different sites (a client's "
                          "connection to the %s would reach the %s)",
                          me, them, me, them);
        return OE_ECONFIG;
    }
    int rc = 0;
    for (int dir = 0; dir < 2; dir++) {
        const oe_site_t *a = dir ? ts : ps, *b = dir ? ps : ts;
        for (size_t i = 0; i < b->hosts.n; i++)
            if (oe_http_site_cert_covers(a, b->hosts.v[i])) {
                oe_conf_error_key(cf, sec, "site",
                                  "the certificate of [site \"%s\"] covers %s, a name of the "
                                  "%s: %s and %s need certificates that do not cover each "
                                  "other's names, or browsers may coalesce them",
                                  a->name, b->hosts.v[i], dir ? me : them, me, them);
                rc = OE_ECONFIG;
            }
    }
    if (rc == 0)
        oe_conf_warn_key(cf, sec, NULL,
                         "this instance runs both the %s and the %s: fine for a demo; for "
                         "public traffic run them apart, so that no one party sees both who asks "
                         "and what is asked",
                         me, them);
    return rc;
}

static int init(oe_modctx_t *ctx)
{
    proxy_conf_t *c = oe_conf_get(ctx->cf, &oe_odoh_proxy_module);
    oe_http_t *http = oe_http_of(ctx);
    if (http == NULL)
        return OE_ECONFIG;
    proxy_t *p = oe_calloc(1, sizeof(*p));
    ctx->data = p;
    p->conf = c;
    p->site = oe_http_site_by_name(ctx->cf, c->site_name);
    int rc = oe_proxy_fwd_new(&p->fwd, http, &c->fwd, TAG, OE_STAT_PROXY_OK);
    if (rc < 0)
        return rc;
    if (oe_http_route(http, p->site, OE_M_ANY, c->path, handle, p) < 0)
        return OE_EINVAL;
    oe_log_info(TAG, "relaying on %s%s to %zu allowed target(s)", p->site->hosts.v[0], c->path,
                c->nallow);
    return 0;
}

static void destroy(oe_modctx_t *ctx)
{
    proxy_t *p = ctx->data;
    if (p == NULL)
        return;
    oe_proxy_fwd_free(p->fwd);
    free(p);
    ctx->data = NULL;
}

int oe_proxy_fwd_new(oe_proxy_fwd_t **out, oe_http_t *http, const oe_proxy_fwd_conf_t *c,
                     const char *tag, oe_stat_t stats)
{
    oe_proxy_fwd_t *f = oe_calloc(1, sizeof(*f));
    *out = f;
    f->conf = c;
    f->stats = stats;
    static const char *const alpn[] = {"h2", "http/1.1", NULL};
    oe_tls_client_opts_t opts = {.ca_file = c->ca_file, .alpn = alpn};
    char *err = NULL;
    f->tls = oe_tls_client_new(&opts, &err);
    if (f->tls == NULL) {
        oe_log_error(tag, "TLS client: %s", err ? err : "cannot create");
        free(err);
        return OE_ECRYPTO;
    }
    oe_http_worker_hook_t hook = {.start = worker_start, .stop = worker_stop, .data = f};
    f->hook = oe_http_add_worker_hook(http, &hook);
    return f->hook < 0 ? OE_EINVAL : 0;
}

void oe_proxy_fwd_free(oe_proxy_fwd_t *f)
{
    if (f == NULL)
        return;
    oe_tls_client_free(f->tls);
    free(f);
}

const oe_module_t oe_odoh_proxy_module = {
    .name = "odoh_proxy",
    .section = "odoh-proxy",
    .conf_size = sizeof(proxy_conf_t),
    .directives = directives,
    .summary = "Oblivious DoH proxy (relay) to allowed targets",
    .conf_init = conf_init,
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .destroy = destroy,
};
