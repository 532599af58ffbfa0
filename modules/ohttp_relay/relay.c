/*
 * The Oblivious HTTP relay (RFC 9458 §6.3): POST PATH with a message/ohttp-req body is forwarded
 * to the one configured gateway and its answer (message/ohttp-res, or its error) comes back with
 * Proxy-Status: odoh-edge; received-status=N. It is not an open relay: the destination is fixed
 * by the configuration, nothing in the request chooses it.
 *
 * It forwards with the ODoH proxy's engine (modules/odoh_proxy/proxy_fwd.h), so it keeps the
 * proxy's guarantees: only content-type, accept and content-length go out (no address, no
 * Forwarded, no cookie, no user agent), no redirect is followed, pooled HTTP/2 to the gateway,
 * nothing about clients or bodies logged. The gateway is named in the configuration, so (as an
 * explicit allow-target of the proxy) it may be at a private address; nothing a client sends
 * can point the relay anywhere else.
 *
 * Statuses, each with Proxy-Status (RFC 9209): not POST 405, wrong media type 415, empty body
 * 400, gateway unreachable 502, time-out 504, otherwise the gateway's status.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "http/http.h"
#include "odoh_proxy/proxy_fwd.h"
#include "ohttp/ohttp.h"

#define TAG "ohttp-relay"

typedef struct relay_conf {
    const char *site_name;
    const char *path;
    const char *gateway; /* https://HOST[:PORT]/PATH */
    oe_proxy_fwd_conf_t fwd;
    /* built by conf_check from gateway */
    char *gw_host, *gw_path;
    unsigned gw_port;
} relay_conf_t;

typedef struct relay {
    const relay_conf_t *conf;
    const oe_site_t *site;
    oe_proxy_fwd_t *fwd;
} relay_t;

static void handle(oe_req_t *req, void *data)
{
    relay_t *r = data;
    const relay_conf_t *c = r->conf;
    if (!oe_req_method_is(req, "POST")) {
        oe_resp_header(req, "allow", "POST");
        oe_proxy_deny(req, OE_STAT_RELAY_OK, 405, "http_request_error", "POST only");
        return;
    }
    oe_slice_t ct = oe_req_header(req, "content-type");
    if (!oe_slice_eq_nocase(ct, OE_SLICE_STR(OE_OHTTP_MEDIA_REQ))) {
        oe_proxy_deny(req, OE_STAT_RELAY_OK, 415, "http_request_error",
                      "content-type must be " OE_OHTTP_MEDIA_REQ);
        return;
    }
    if (req->body.len == 0) {
        oe_proxy_deny(req, OE_STAT_RELAY_OK, 400, "http_request_error", "empty body");
        return;
    }
    oe_proxy_dest_t d = {.host = c->gw_host,
                         .port = c->gw_port,
                         .path = c->gw_path,
                         .media = OE_OHTTP_MEDIA_REQ,
                         .accept = OE_OHTTP_MEDIA_RES,
                         .explicit_allow = true};
    oe_proxy_fwd(r->fwd, req, &d);
}

/* ---- configuration -------------------------------------------------------------------------- */

#define R(f) offsetof(relay_conf_t, f)
static const oe_directive_t directives[] = {
    {"site", oe_conf_set_string, R(site_name), NULL, 0,
     "the [site] whose host names serve the relay"},
    {"path", oe_conf_set_string, R(path), NULL, 0,
     "where clients POST message/ohttp-req (default /relay)"},
    {"gateway", oe_conf_set_string, R(gateway), NULL, 0,
     "the gateway's URL, https://HOST[:PORT]/PATH: the only place requests go"},
    OE_PROXY_FWD_DIRECTIVES(relay_conf_t, fwd, "gateway"),
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef R

static void conf_init(void *conf)
{
    relay_conf_t *c = conf;
    c->path = "/relay";
    oe_proxy_fwd_conf_init(&c->fwd);
}

/* https://HOST[:PORT]/PATH into the conf's gw_* fields. */
static bool parse_gateway(oe_conf_t *cf, relay_conf_t *c)
{
    static const char scheme[] = "https://";
    if (strncmp(c->gateway, scheme, sizeof(scheme) - 1) != 0)
        return false;
    const char *hp = c->gateway + sizeof(scheme) - 1, *slash = strchr(hp, '/');
    if (slash == NULL || slash == hp)
        return false;
    char *host = oe_conf_alloc(cf, (size_t)(slash - hp) + 1);
    memcpy(host, hp, (size_t)(slash - hp));
    char *colon = strchr(host, ':');
    c->gw_port = 443;
    if (colon != NULL) {
        *colon = '\0';
        c->gw_port = oe_proxy_parse_port(colon + 1);
    }
    c->gw_host = host;
    c->gw_path = oe_conf_strdup(cf, slash);
    return c->gw_port != 0 && oe_proxy_valid_host(host) && oe_proxy_valid_path(c->gw_path);
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    relay_conf_t *c = conf;
    int rc = 0;
    if (c->site_name == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"site = NAME\" (a [site] serving the relay)");
        rc = OE_ECONFIG;
    }
    if (c->path[0] != '/') {
        oe_conf_error_key(cf, sec, "path", "must start with '/'");
        rc = OE_ECONFIG;
    }
    if (c->gateway == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"gateway = https://HOST[:PORT]/PATH\"");
        rc = OE_ECONFIG;
    } else if (!parse_gateway(cf, c)) {
        oe_conf_error_key(cf, sec, "gateway", "\"%s\" is not https://HOST[:PORT]/PATH", c->gateway);
        rc = OE_ECONFIG;
    }
    if (oe_proxy_fwd_conf_check(cf, sec, &c->fwd) < 0)
        rc = OE_ECONFIG;
    return rc;
}

extern const oe_module_t oe_ohttp_relay_module;

static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_ohttp_relay_module, 0);
    if (sec == NULL)
        return 0;
    relay_conf_t *c = sec->conf;
    const oe_site_t *rs = oe_http_conf_site(cf, sec, c->site_name);
    if (rs == NULL)
        return OE_ECONFIG;
    return oe_proxy_check_apart(cf, sec, rs, "ohttp-gateway", "relay", "gateway");
}

static int init(oe_modctx_t *ctx)
{
    relay_conf_t *c = oe_conf_get(ctx->cf, &oe_ohttp_relay_module);
    oe_http_t *http = oe_http_of(ctx);
    if (http == NULL)
        return OE_ECONFIG;
    relay_t *r = oe_calloc(1, sizeof(*r));
    ctx->data = r;
    r->conf = c;
    r->site = oe_http_site_by_name(ctx->cf, c->site_name);
    int rc = oe_proxy_fwd_new(&r->fwd, http, &c->fwd, TAG, OE_STAT_RELAY_OK);
    if (rc < 0)
        return rc;
    if (oe_http_route(http, r->site, OE_M_ANY, c->path, handle, r) < 0)
        return OE_EINVAL;
    oe_log_info(TAG, "relaying on %s%s to %s", r->site->hosts.v[0], c->path, c->gateway);
    return 0;
}

static void destroy(oe_modctx_t *ctx)
{
    relay_t *r = ctx->data;
    if (r == NULL)
        return;
    oe_proxy_fwd_free(r->fwd);
    free(r);
    ctx->data = NULL;
}

const oe_module_t oe_ohttp_relay_module = {
    .name = "ohttp_relay",
    .section = "ohttp-relay",
    .conf_size = sizeof(relay_conf_t),
    .directives = directives,
    .summary = "Oblivious HTTP relay (RFC 9458) to one configured gateway",
    .conf_init = conf_init,
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .destroy = destroy,
};
