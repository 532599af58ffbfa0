/*
 * The Oblivious HTTP gateway (RFC 9458 §6.4) for DNS, on a [site]:
 *   POST PATH                       message/ohttp-req -> message/ohttp-res
 *   GET  /.well-known/ohttp-gateway application/ohttp-keys (RFC 9540 §3)
 *   GET  KEYS-PATH                  application/ohttp-keys (a client's config URI)
 * The inner (Binary HTTP) request must name this instance's own DoH endpoint (the [odoh-target]
 * site's host names and path, scheme https): it is answered in-process by the target, without a
 * network hop. Nothing else is reachable through the gateway.
 *
 * Statuses (RFC 9458 §5.2, §6.6): a wrong media type 415; an encapsulation we cannot remove
 * (unknown key id, a suite the key does not offer, authentication failure) 400 with the
 * problem type "ohttp-key" (RFC 9457 application/problem+json) so that clients fetch the keys
 * again; a truncated encapsulation 400. Once the encapsulation is removed, every answer is an
 * encapsulated response (outer 200): a malformed inner request 400, a target outside the
 * allow-list 403, an inner media type other than DNS 415, the resolver's status otherwise.
 *
 * Keys come from the key lifecycle (modules/keys): each ODoH key has an OHTTP twin with its own
 * key pair and one-byte id, with the same next/current/previous schedule.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/uri.h"
#include "crypto/encode.h"
#include "http/http.h"
#include "keys/keys.h"
#include "odoh_proxy/proxy_fwd.h"
#include "odoh_target/target.h"
#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"

#define TAG         "ohttp-gateway"
#define WELL_KNOWN  "/.well-known/ohttp-gateway"
#define MEDIA_DNS   "application/dns-message"
#define MAX_FIELDS  32
#define MAX_KEYSETS 256

typedef struct origin {
    const char *host; /* lower-case */
    unsigned port;
} origin_t;

typedef struct gateway_conf {
    const char *site_name;
    const char *path;
    const char *keys_path;
    int keys_form; /* of keys-path: KEYS_LIST or KEYS_SINGLE */
    oe_strlist_t origin_list;
    oe_proxy_fwd_conf_t fwd;
    /* built by conf_check */
    origin_t *origins;
    size_t norigins;
} gateway_conf_t;

enum { KEYS_LIST = 0, KEYS_SINGLE = 1 };

/* An immutable key set with its application/ohttp-keys; freed (wiped) at the last reference. */
typedef struct keyset {
    atomic_int refs;
    size_t n;
    oe_ohttp_key_t *keys;
    uint8_t *configs;
    size_t configs_len;
    uint64_t max_age;
} keyset_t;

typedef struct gateway {
    const gateway_conf_t *conf;
    const oe_site_t *site;
    oe_odoh_target_t *target;
    oe_proxy_fwd_t *fwd; /* for allow-origin, else NULL */
    pthread_mutex_t lock;
    keyset_t *keys;
} gateway_t;

/* One request between decapsulation and the sealed answer. */
typedef struct job {
    oe_req_t *req;
    oe_ohttp_txn_t txn;
    uint8_t *content; /* an allowed origin's request body, until its answer */
    size_t content_len;
} job_t;

static void job_free(job_t *j)
{
    oe_ohttp_txn_wipe(&j->txn);
    if (j->content != NULL)
        oe_wipe(j->content, j->content_len);
    free(j->content);
    free(j);
}

/* ---- key sets ------------------------------------------------------------------------------- */

static void keyset_unref(keyset_t *ks)
{
    if (ks == NULL || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    oe_wipe(ks->keys, ks->n * sizeof(*ks->keys));
    free(ks->keys);
    free(ks->configs);
    free(ks);
}

static keyset_t *get_keys(gateway_t *g)
{
    pthread_mutex_lock(&g->lock);
    keyset_t *ks = g->keys;
    if (ks != NULL)
        atomic_fetch_add(&ks->refs, 1);
    pthread_mutex_unlock(&g->lock);
    return ks;
}

/* The key lifecycle's listener: derives each entry's OHTTP key and swaps the set. A key id
 * already taken by an earlier (more current) entry is skipped: only key files written before
 * OHTTP existed can collide (keys.h), and a gateway must never hold two keys under one id. */
static void on_keys(void *arg, const oe_key_entry_t *const *entries, size_t n, size_t npub,
                    uint64_t max_age)
{
    gateway_t *g = arg;
    keyset_t *ks = oe_calloc(1, sizeof(*ks));
    atomic_init(&ks->refs, 1);
    ks->keys = oe_calloc(n, sizeof(*ks->keys));
    ks->max_age = max_age;
    size_t pub = 0;
    bool seen[256] = {false};
    for (size_t i = 0; i < n; i++) {
        uint8_t ikm[32];
        const oe_key_entry_t *e = entries[i];
        if (seen[e->ohttp_id]) {
            oe_log_warn(TAG, "two keys share OHTTP key id %u: only the first is used", e->ohttp_id);
            continue;
        }
        int rc = oe_key_ohttp_ikm(ikm, e);
        if (rc == 0)
            rc = oe_ohttp_key_from_seed(&ks->keys[ks->n], e->ohttp_id, e->aead, ikm, sizeof(ikm));
        oe_wipe(ikm, sizeof(ikm));
        if (rc < 0) {
            oe_log_error(TAG, "deriving an OHTTP key: %s", oe_strerror(rc));
            continue;
        }
        seen[e->ohttp_id] = true;
        ks->n++;
        if (i < npub)
            pub++;
    }
    size_t cap = 2 + pub * (2 + OE_OHTTP_CONFIG_LEN);
    ks->configs = oe_malloc(cap);
    int len = pub > 0 ? oe_ohttp_configs_encode(ks->configs, cap, ks->keys, pub) : 0;
    ks->configs_len = len > 0 ? (size_t)len : 0;
    oe_log_info(TAG, "key set: %zu accepted, %zu published, current id %u", ks->n, pub,
                ks->n > 0 ? ks->keys[0].key_id : 0);
    pthread_mutex_lock(&g->lock);
    keyset_t *old = g->keys;
    g->keys = ks;
    pthread_mutex_unlock(&g->lock);
    keyset_unref(old);
}

/* ---- replies ------------------------------------------------------------------------------- */

static void reply_error(oe_req_t *req, int status)
{
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    oe_resp_error(req, status);
}

/* 400 with the "ohttp-key" problem type (RFC 9458 §5.3; RFC 9457 §3). */
static void reply_key_problem(oe_req_t *req)
{
    static const char body[] =
        "{\"type\":\"" OE_OHTTP_PROBLEM_KEY "\",\"title\":\"key identifier unknown\"}";
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    oe_resp_header(req, "content-type", "application/problem+json");
    oe_resp_send(req, 400, body, sizeof(body) - 1);
}

/* Seals an inner response (status, content-type when there is one, body) and ends the job. */
static void reply_inner_as(job_t *j, int status, oe_slice_t ctype, oe_slice_t body)
{
    oe_req_t *req = j->req;
    oe_bhttp_field_t f[2] = {{OE_SLICE_STR("cache-control"), OE_SLICE_STR("no-store")},
                             {OE_SLICE_STR("content-type"), ctype}};
    size_t cap = body.len + ctype.len + 128, ecap = cap + OE_OHTTP_RESPONSE_OVERHEAD;
    uint8_t *bhttp = malloc(cap), *out = malloc(ecap);
    int n = bhttp && out ? oe_bhttp_encode_response(bhttp, cap, (unsigned)status, f,
                                                    ctype.len > 0 ? 2 : 1, body)
                         : OE_ENOMEM;
    if (n >= 0)
        n = oe_ohttp_response_seal(out, ecap, &j->txn, OE_SLICE(bhttp, (size_t)n), oe_crypto_random,
                                   NULL);
    if (n < 0) {
        oe_log_warn(TAG, "sealing a response failed: %s", oe_strerror(n));
        oe_stat_inc(OE_STAT_GATEWAY_OTHER);
        reply_error(req, 500);
    } else {
        oe_stat_inc(OE_STAT_GATEWAY_OK);
        oe_stat_gateway_inner(status);
        oe_resp_header(req, "cache-control", "no-cache, no-store");
        oe_resp_header(req, "content-type", OE_OHTTP_MEDIA_RES);
        oe_resp_send(req, 200, out, (size_t)n);
    }
    if (bhttp != NULL)
        oe_wipe(bhttp, cap);
    free(bhttp);
    free(out);
    job_free(j);
}

/* A DNS answer (200) or an error status without a body. */
static void reply_inner(job_t *j, int status, oe_slice_t dns)
{
    if (status == 200)
        reply_inner_as(j, status, OE_SLICE_STR(MEDIA_DNS), dns);
    else
        reply_inner_as(j, status, OE_SLICE(NULL, 0), OE_SLICE(NULL, 0));
}

static void on_dns(void *arg, int status, oe_slice_t dns)
{
    job_t *j = arg;
    if (status == 0) { /* the client went away */
        job_free(j);
        return;
    }
    reply_inner(j, status, dns);
}

/* An allowed origin's answer (status > 0) or the forwarding engine's failure status. */
static void on_origin(void *arg, int status, oe_slice_t ctype, oe_slice_t body)
{
    job_t *j = arg;
    if (status == 0) {
        job_free(j);
        return;
    }
    reply_inner_as(j, status, ctype, body);
}

static const origin_t *allowed_origin(const gateway_conf_t *c, oe_slice_t authority)
{
    oe_slice_t host = authority;
    unsigned port = 443;
    const uint8_t *colon = memchr(authority.base, ':', authority.len);
    if (colon != NULL) {
        char digits[8];
        size_t n = authority.len - (size_t)(colon + 1 - authority.base);
        if (n == 0 || n >= sizeof(digits))
            return NULL;
        memcpy(digits, colon + 1, n);
        digits[n] = '\0';
        port = oe_proxy_parse_port(digits);
        host = OE_SLICE(authority.base, (size_t)(colon - authority.base));
    }
    for (size_t i = 0; i < c->norigins; i++)
        if (c->origins[i].port == port &&
            oe_slice_eq_nocase(host, OE_SLICE_STR(c->origins[i].host)))
            return &c->origins[i];
    return NULL;
}

/* Forwards the inner request to an allowed origin through the proxy's engine (pooled HTTPS, only
 * content-type and accept sent); the answer is encapsulated by on_origin. */
static void forward_origin(gateway_t *g, job_t *j, const origin_t *o, const oe_bhttp_msg_t *m)
{
    char path[1024], ctype[128], accept[128];
    const char *method = oe_slice_eq(m->method, OE_SLICE_STR("GET"))    ? "GET"
                         : oe_slice_eq(m->method, OE_SLICE_STR("POST")) ? "POST"
                                                                        : NULL;
    oe_slice_t ct = oe_bhttp_field(m, "content-type"), ac = oe_bhttp_field(m, "accept");
    if (method == NULL || m->path.len == 0 || m->path.len >= sizeof(path) ||
        ct.len >= sizeof(ctype) || ac.len >= sizeof(accept)) {
        reply_inner(j, method == NULL ? 405 : 400, OE_SLICE(NULL, 0));
        return;
    }
    memcpy(path, m->path.base, m->path.len);
    path[m->path.len] = '\0';
    snprintf(ctype, sizeof(ctype), "%.*s", (int)ct.len, ct.len ? (const char *)ct.base : "");
    snprintf(accept, sizeof(accept), "%.*s", (int)ac.len, ac.len ? (const char *)ac.base : "*/*");
    if (!oe_proxy_valid_path(path)) {
        reply_inner(j, 400, OE_SLICE(NULL, 0));
        return;
    }
    j->content = malloc(m->content.len ? m->content.len : 1);
    if (j->content == NULL) {
        reply_inner(j, 500, OE_SLICE(NULL, 0));
        return;
    }
    if (m->content.len > 0)
        memcpy(j->content, m->content.base, m->content.len);
    j->content_len = m->content.len;
    oe_proxy_dest_t d = {.host = o->host,
                         .port = o->port,
                         .path = path,
                         .media = ctype[0] ? ctype : "application/octet-stream",
                         .accept = accept,
                         .explicit_allow = true,
                         .done = on_origin,
                         .done_arg = j,
                         .method = method,
                         .body = OE_SLICE(j->content, j->content_len)};
    oe_proxy_fwd(g->fwd, j->req, &d);
}

/* ---- the inner request ---------------------------------------------------------------------- */

/* The host of an authority without its port ("[v6]:port" keeps the brackets off). */
static oe_slice_t authority_host(oe_slice_t a)
{
    if (a.len > 0 && a.base[0] == '[') {
        const uint8_t *end = memchr(a.base, ']', a.len);
        return end ? OE_SLICE(a.base + 1, (size_t)(end - a.base - 1)) : OE_SLICE(NULL, 0);
    }
    const uint8_t *colon = memchr(a.base, ':', a.len);
    return colon ? OE_SLICE(a.base, (size_t)(colon - a.base)) : a;
}

/* Checks the decapsulated request against the allow-list and hands its DNS query to the target;
 * every outcome is an encapsulated response. */
static void handle_inner(gateway_t *g, job_t *j, const uint8_t *plain, size_t len)
{
    oe_bhttp_field_t fields[MAX_FIELDS];
    oe_bhttp_msg_t m;
    uint8_t *content = malloc(len ? len : 1);
    /* A Binary HTTP response where the request belongs is malformed too. */
    if (content == NULL || oe_bhttp_decode(&m, plain, len, fields, MAX_FIELDS, content, len) < 0 ||
        m.framing % 2 == 1) {
        free(content);
        reply_inner(j, 400, OE_SLICE(NULL, 0));
        return;
    }
    oe_slice_t authority = m.authority.len > 0 ? m.authority : oe_bhttp_field(&m, "host");
    const uint8_t *q = memchr(m.path.base, '?', m.path.len);
    oe_slice_t path = q ? OE_SLICE(m.path.base, (size_t)(q - m.path.base)) : m.path;
    oe_slice_t query = q ? OE_SLICE(q + 1, m.path.len - path.len - 1) : OE_SLICE(NULL, 0);
    bool https = oe_slice_eq(m.scheme, OE_SLICE_STR("https")) && authority.base != NULL;
    const origin_t *o = https ? allowed_origin(g->conf, authority) : NULL;
    if (o != NULL && g->fwd != NULL &&
        !oe_odoh_target_is_endpoint(g->target, authority_host(authority), path)) {
        forward_origin(g, j, o, &m);
        oe_wipe(content, len);
        free(content);
        return;
    }
    if (!https || !oe_odoh_target_is_endpoint(g->target, authority_host(authority), path)) {
        free(content);
        reply_inner(j, 403, OE_SLICE(NULL, 0));
        return;
    }
    uint8_t msg[4096];
    oe_slice_t dns = OE_SLICE(NULL, 0);
    int status = 0;
    if (oe_slice_eq(m.method, OE_SLICE_STR("POST"))) {
        if (!oe_http_media_is(oe_bhttp_field(&m, "content-type"), MEDIA_DNS))
            status = 415;
        dns = m.content;
    } else if (oe_slice_eq(m.method, OE_SLICE_STR("GET"))) {
        oe_slice_t v = oe_uri_query_param(query, "dns");
        int n = v.base ? oe_base64url_decode(msg, sizeof(msg), (const char *)v.base, v.len) : -1;
        if (n > 0)
            dns = OE_SLICE(msg, (size_t)n);
    } else {
        status = 405;
    }
    if (status == 0 && dns.len < 12)
        status = 400;
    if (status != 0) {
        free(content);
        reply_inner(j, status, OE_SLICE(NULL, 0));
        return;
    }
    oe_odoh_target_resolve(g->target, j->req, dns, on_dns, j);
    oe_wipe(content, len);
    free(content);
}

static void handle_post(oe_req_t *req, gateway_t *g)
{
    if (!oe_http_media_is(oe_req_header(req, "content-type"), OE_OHTTP_MEDIA_REQ)) {
        oe_stat_inc(OE_STAT_GATEWAY_415);
        reply_error(req, 415);
        return;
    }
    keyset_t *ks = get_keys(g);
    uint8_t *plain = malloc(req->body.len ? req->body.len : 1);
    job_t *j = oe_calloc(1, sizeof(*j));
    j->req = req;
    int rc = ks && plain ? oe_ohttp_request_open(ks->keys, ks->n, req->body.base, req->body.len,
                                                 plain, req->body.len, &j->txn)
                         : OE_EKEYID;
    keyset_unref(ks);
    if (rc < 0) {
        free(plain);
        free(j);
        if (rc == OE_ETRUNC || rc == OE_ESPACE) {
            oe_stat_inc(OE_STAT_GATEWAY_TRUNCATED);
            reply_error(req, 400);
        } else {
            oe_stat_inc(rc == OE_EKEYID ? OE_STAT_GATEWAY_KEY_ID : OE_STAT_GATEWAY_DECRYPT);
            reply_key_problem(req);
        }
        return;
    }
    handle_inner(g, j, plain, (size_t)rc);
    oe_wipe(plain, (size_t)rc);
    free(plain);
}

/* The key configurations: the list (RFC 9458 §3.2), or with single one configuration alone,
 * without its length (what Firefox reads from network.trr.ohttp.config_uri). Single serves the
 * newest published key (the next one once it is published, else the current one): a client that
 * fetches once per session, as Firefox does, then holds the key that stays accepted longest. */
static void handle_keys(oe_req_t *req, gateway_t *g, bool single)
{
    keyset_t *ks = get_keys(g);
    if (ks == NULL || ks->configs_len == 0) {
        oe_stat_inc(OE_STAT_OHTTP_KEYS_UNAVAILABLE);
        reply_error(req, 503);
        keyset_unref(ks);
        return;
    }
    oe_resp_headerf(req, "cache-control", "max-age=%llu", (unsigned long long)ks->max_age);
    oe_resp_header(req, "content-type", OE_OHTTP_MEDIA_KEYS);
    oe_stat_inc(single ? OE_STAT_OHTTP_KEYS_SINGLE : OE_STAT_OHTTP_KEYS_LIST);
    if (single)
        oe_resp_send(req, 200, ks->configs + ks->configs_len - OE_OHTTP_CONFIG_LEN,
                     OE_OHTTP_CONFIG_LEN);
    else
        oe_resp_send(req, 200, ks->configs, ks->configs_len);
    keyset_unref(ks);
}

static void handle(oe_req_t *req, void *data)
{
    gateway_t *g = data;
    /* POST to the well-known URI is the gateway too (RFC 9540 §3). */
    if (oe_req_method_is(req, "POST"))
        handle_post(req, g);
    else
        handle_keys(req, g,
                    g->conf->keys_form == KEYS_SINGLE &&
                        oe_slice_eq(req->path, OE_SLICE_STR(g->conf->keys_path)));
}

/* ---- configuration -------------------------------------------------------------------------- */

static const oe_conf_enum_t keys_forms[] = {
    {"list", KEYS_LIST}, {"single", KEYS_SINGLE}, {NULL, 0}};

#define G(f) offsetof(gateway_conf_t, f)
static const oe_directive_t directives[] = {
    {"site", oe_conf_set_string, G(site_name), NULL, 0,
     "the [site] whose host names serve the gateway"},
    {"path", oe_conf_set_string, G(path), NULL, 0,
     "where message/ohttp-req is POSTed (default " WELL_KNOWN ", RFC 9540)"},
    {"keys-path", oe_conf_set_string, G(keys_path), NULL, 0,
     "where the key configurations are served besides " WELL_KNOWN " (default /ohttp-keys)"},
    {"allow-origin", oe_conf_set_strlist, G(origin_list), NULL, OE_CONF_LIST,
     "host[:port]: an HTTPS origin the gateway may forward inner requests to (default none: "
     "only this instance's DoH endpoint, answered in-process)"},
    OE_PROXY_FWD_DIRECTIVES(gateway_conf_t, fwd, "origin"),
    {"keys-form", oe_conf_set_enum, G(keys_form), keys_forms, 0,
     "at keys-path: list (RFC 9458 section 3.2, default) or single (the newest configuration "
     "alone: Firefox's network.trr.ohttp.config_uri)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef G

static void conf_init(void *conf)
{
    gateway_conf_t *c = conf;
    c->path = WELL_KNOWN;
    c->keys_path = "/ohttp-keys";
    oe_proxy_fwd_conf_init(&c->fwd);
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    gateway_conf_t *c = conf;
    int rc = 0;
    if (c->site_name == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"site = NAME\" (a [site] serving the gateway)");
        rc = OE_ECONFIG;
    }
    if (c->path[0] != '/') {
        oe_conf_error_key(cf, sec, "path", "must start with '/'");
        rc = OE_ECONFIG;
    }
    if (c->keys_path[0] != '/') {
        oe_conf_error_key(cf, sec, "keys-path", "must start with '/'");
        rc = OE_ECONFIG;
    }
    c->origins = oe_conf_alloc(cf, (c->origin_list.n + 1) * sizeof(*c->origins));
    for (size_t i = 0; i < c->origin_list.n; i++) {
        char *h = oe_conf_strdup(cf, c->origin_list.v[i]), *colon = strrchr(h, ':');
        unsigned port = 443;
        if (colon != NULL) {
            *colon = '\0';
            port = oe_proxy_parse_port(colon + 1);
        }
        if (port == 0 || !oe_proxy_valid_host(h) || strchr(h, ':') != NULL) {
            oe_conf_error_key(cf, sec, "allow-origin", "\"%s\" is not host[:port]",
                              c->origin_list.v[i]);
            rc = OE_ECONFIG;
            continue;
        }
        c->origins[c->norigins++] = (origin_t){h, port};
    }
    if (oe_proxy_fwd_conf_check(cf, sec, &c->fwd) < 0)
        rc = OE_ECONFIG;
    return rc;
}

extern const oe_module_t oe_ohttp_gateway_module;
extern const oe_module_t oe_odoh_target_module;

static const char *site_name(const oe_conf_t *cf)
{
    const gateway_conf_t *c = oe_conf_get(cf, &oe_ohttp_gateway_module);
    return c != NULL ? c->site_name : NULL;
}

static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_ohttp_gateway_module, 0);
    if (sec == NULL)
        return 0;
    gateway_conf_t *c = sec->conf;
    if (oe_http_conf_site(cf, sec, c->site_name) == NULL)
        return OE_ECONFIG;
    if (oe_conf_count(cf, &oe_odoh_target_module) == 0) {
        oe_conf_error_key(cf, sec, NULL,
                          "needs an [odoh-target]: the gateway answers DNS through its DoH "
                          "endpoint, in-process");
        return OE_ECONFIG;
    }
    return 0;
}

static int init(oe_modctx_t *ctx)
{
    gateway_conf_t *c = oe_conf_get(ctx->cf, &oe_ohttp_gateway_module);
    oe_http_t *http = oe_http_of(ctx);
    const oe_module_t *km = oe_module_by_name("keys");
    void *keys = km != NULL ? oe_modctx_peer(ctx, km) : NULL;
    gateway_t *g = oe_calloc(1, sizeof(*g));
    ctx->data = g;
    pthread_mutex_init(&g->lock, NULL);
    g->conf = c;
    g->site = oe_http_site_by_name(ctx->cf, c->site_name);
    g->target = oe_modctx_peer(ctx, &oe_odoh_target_module);
    if (http == NULL || g->target == NULL || keys == NULL) {
        oe_log_error(TAG, "the gateway needs a [listen], an [odoh-target] and the key lifecycle");
        return OE_ECONFIG;
    }
    oe_keys_listen(keys, on_keys, g);
    if (c->norigins > 0) {
        /* Every answer goes to on_origin (oe_proxy_dest_t.done): none counts as a proxy's. */
        int rc = oe_proxy_fwd_new(&g->fwd, http, &c->fwd, TAG, OE_STAT_PROXY_OK);
        if (rc < 0)
            return rc;
    }
    unsigned all = OE_M_GET | OE_M_HEAD | OE_M_POST;
    if (oe_http_route(http, g->site, all, WELL_KNOWN, handle, g) < 0 ||
        (strcmp(c->path, WELL_KNOWN) != 0 &&
         oe_http_route(http, g->site, OE_M_POST, c->path, handle, g) < 0) ||
        oe_http_route(http, g->site, OE_M_GET | OE_M_HEAD, c->keys_path, handle, g) < 0)
        return OE_EINVAL;
    oe_log_info(TAG, "gateway on %s%s, key configurations at %s and " WELL_KNOWN,
                g->site->hosts.v[0], c->path, c->keys_path);
    return 0;
}

static void destroy(oe_modctx_t *ctx)
{
    gateway_t *g = ctx->data;
    if (g == NULL)
        return;
    keyset_unref(g->keys);
    oe_proxy_fwd_free(g->fwd);
    pthread_mutex_destroy(&g->lock);
    free(g);
    ctx->data = NULL;
}

const oe_module_t oe_ohttp_gateway_module = {
    .name = "ohttp_gateway",
    .section = "ohttp-gateway",
    .conf_size = sizeof(gateway_conf_t),
    .directives = directives,
    .summary = "Oblivious HTTP gateway (RFC 9458) for this instance's DoH endpoint",
    .conf_init = conf_init,
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .destroy = destroy,
    .site_name = site_name,
};
