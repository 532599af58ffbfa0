/*
 * The acme module (certificates from an ACME server, RFC 8555, for every [site] with cert =
 * acme): the [acme] section and its check, the module hooks, and the HTTP-01 route.
 *
 * init loads the account key (acme_store.c), each site's schedule from its stored certificate
 * (acme_sched.c), enables the TLS-ALPN-01 hook of the TLS server and routes
 * /.well-known/acme-challenge/ of the sites validated by http-01 to an answer from memory (worker
 * threads; the tokens are under a->lock). start opens the HTTPS client, the resolver for the ACME
 * server's name, the dns-01 publisher (TSIG) and the check timer; stop closes them; destroy frees
 * what is left, the order in flight included.
 *
 * One order at a time, one request at a time, every step asynchronous: serving never waits for
 * the ACME server. A failure keeps the certificate in service. The other units: acme_flow.c (the
 * order), acme_req.c (one request), acme_sched.c (when), acme_store.c (STATE/acme/),
 * acme_cmd.c (the command line); they share acme_int.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "acme/acme_dns.h"
#include "acme/acme_int.h"
#include "acme/acme_jws.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/net.h"
#include "crypto/crypto.h"
#include "dns/upstream.h"
#include "http/client.h"
#include "tls/tls.h"

/* ---- configuration ------------------------------------------------------------------------ */

static const oe_conf_enum_t challenges[] = {
    {"http-01", CH_HTTP01}, {"tls-alpn-01", CH_TLSALPN01}, {"dns-01", CH_DNS01}, {NULL, 0}};
static const oe_conf_enum_t key_types[] = {{"ecdsa-p256", OE_TLS_KEY_P256},
                                           {"ecdsa-p384", OE_TLS_KEY_P384},
                                           {"rsa2048", OE_TLS_KEY_RSA2048},
                                           {"rsa3072", OE_TLS_KEY_RSA3072},
                                           {NULL, 0}};
static const oe_conf_enum_t account_keys[] = {
    {"ecdsa-p256", OE_ACME_ES256}, {"rsa2048", OE_ACME_RS256}, {NULL, 0}};
static const oe_conf_range_t check_range = {100, 24LL * 3600 * 1000, false};
static const oe_conf_range_t retry_range = {100, 24LL * 3600 * 1000, false};
static const oe_conf_range_t renew_range = {1000, 365LL * 86400 * 1000, false};

#define A(f) offsetof(acme_conf_t, f)
static const oe_directive_t directives[] = {
    {"directory", oe_conf_set_string, A(directory), NULL, 0,
     "the ACME directory URL (default Let's Encrypt; staging: "
     "https://acme-staging-v02.api.letsencrypt.org/directory)"},
    {"email", oe_conf_set_string, A(email), NULL, 0, "contact address of the account (optional)"},
    {"ca-file", oe_conf_set_path, A(ca_file), NULL, 0,
     "PEM CAs to trust for the ACME server (default: the system bundle)"},
    {"challenge", oe_conf_set_enum, A(challenge), challenges, 0,
     "http-01 (default: needs a plain-HTTP listener), tls-alpn-01 or dns-01"},
    {"account-key", oe_conf_set_enum, A(account_key), account_keys, 0,
     "the account key and JWS algorithm: ecdsa-p256 (ES256, default) or rsa2048 (RS256)"},
    {"key-type", oe_conf_set_enum, A(key_type), key_types, 0,
     "certificate key: ecdsa-p256 (default), ecdsa-p384, rsa2048, rsa3072"},
    {"renew-before", oe_conf_set_duration, A(renew_before), &renew_range, 0,
     "renew this long before expiry (default: a third of the certificate's lifetime)"},
    {"check-interval", oe_conf_set_duration, A(check_interval), &check_range, 0,
     "how often certificates and renewal requests are looked at (default 1m)"},
    {"retry-min", oe_conf_set_duration, A(retry_min), &retry_range, 0,
     "first retry after a failed order; doubles up to 1h (default 1m)"},
    {"resolver", oe_conf_set_addr, A(resolver), NULL, 0,
     "DNS resolver IP:port for the ACME server's name (default: the first nameserver of "
     "/etc/resolv.conf)"},
    {"update-server", oe_conf_set_addr, A(update_server), NULL, 0,
     "dns-01: the authoritative server IP:port taking DNS UPDATEs"},
    {"update-zone", oe_conf_set_string, A(update_zone), NULL, 0,
     "dns-01: the zone holding the _acme-challenge names"},
    {"tsig-name", oe_conf_set_string, A(tsig_name), NULL, 0, "dns-01: TSIG key name (hmac-sha256)"},
    {"tsig-secret", oe_conf_set_string, A(tsig_secret), NULL, 0, "dns-01: TSIG secret, base64"},
    {"tsig-secret-file", oe_conf_set_path, A(tsig_secret_file), NULL, 0,
     "dns-01: file holding the TSIG secret (base64, mode 0600), instead of tsig-secret"},
    {"agree-tos", oe_conf_set_bool, A(agree_tos), NULL, 0,
     "yes: accept the ACME server's terms of service (required)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef A

static void conf_init(void *conf)
{
    acme_conf_t *c = conf;
    c->directory = OE_ACME_LE_DIRECTORY;
    c->check_interval = 60 * 1000;
    c->retry_min = 60 * 1000;
    c->key_type = OE_TLS_KEY_P256;
}

const char *oe_acme__challenge_name(int ch)
{
    return ch == CH_DNS01 ? "dns-01" : ch == CH_TLSALPN01 ? "tls-alpn-01" : "http-01";
}

/* Is there a plain-HTTP listener (HTTP-01), and one on port 80? */
static void plain_listeners(const oe_conf_t *cf, bool *any, bool *port80)
{
    *any = oe_http_plain_listener(cf, 0);
    *port80 = oe_http_plain_listener(cf, 80);
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    acme_conf_t *c = conf;
    int rc = 0;
    char host[256];
    unsigned port;
    const char *path;
    if (!c->agree_tos) {
        oe_conf_error_key(cf, sec, "agree-tos",
                          "the ACME server's terms of service must be accepted: read them (the "
                          "directory's meta.termsOfService) and set agree-tos = yes");
        rc = OE_ECONFIG;
    }
    if (!oe_acme__parse_url(c->directory, host, sizeof(host), &port, &path)) {
        oe_conf_error_key(cf, sec, "directory", "\"%s\" is not an https:// URL", c->directory);
        rc = OE_ECONFIG;
    }
    if (c->email != NULL && (strchr(c->email, '@') == NULL || strpbrk(c->email, " \t,") != NULL)) {
        oe_conf_error_key(cf, sec, "email", "\"%s\" is not an e-mail address", c->email);
        rc = OE_ECONFIG;
    }
    bool any_plain, port80, any_wildcard = false, explicit = c->challenge != CH_AUTO;
    plain_listeners(cf, &any_plain, &port80);
    size_t nsites = oe_http_site_count(cf);
    /* The challenge of sites without wildcard names: as set, else the first the listeners
     * allow. Wildcard names can only be validated by dns-01 (RFC 8555 §7.1.3, §8.4). */
    if (c->challenge == CH_AUTO)
        c->challenge = any_plain                   ? CH_HTTP01
                       : oe_http_tls_port(cf) != 0 ? CH_TLSALPN01
                       : c->update_server.len > 0  ? CH_DNS01
                                                   : CH_HTTP01;
    bool used[4] = {false};
    for (size_t i = 0; i < nsites; i++) {
        const oe_site_t *s = oe_http_site(cf, i);
        if (!s->cert_acme)
            continue;
        int ch = oe_acme__site_challenge(c, s);
        if (ch == CH_DNS01 && explicit && c->challenge != CH_DNS01)
            ch = c->challenge; /* reported below at the wildcard name, not as a dns-01 need */
        used[ch] = true;
        for (size_t h = 0; h < s->hosts.n; h++) {
            if (s->hosts.v[h][0] != '*')
                continue;
            any_wildcard = true;
            if (explicit && c->challenge != CH_DNS01)
                oe_conf_error_key(cf, oe_http_site_section(cf, i), h == 0 ? "host" : "alias",
                                  "\"%s\": a wildcard name needs dns-01, not challenge = %s",
                                  s->hosts.v[h], oe_acme__challenge_name(c->challenge));
        }
    }
    if (used[CH_DNS01]) {
        static const char *const need[] = {"update-server", "update-zone", "tsig-name"};
        const bool have[] = {c->update_server.len > 0, c->update_zone != NULL,
                             c->tsig_name != NULL};
        for (size_t i = 0; i < OE_ARRAY_SIZE(need); i++)
            if (!have[i]) {
                oe_conf_error_key(cf, sec, need[i],
                                  "dns-01%s needs %s (the DNS UPDATE server of the zone)",
                                  any_wildcard ? " (a wildcard name)" : "", need[i]);
                rc = OE_ECONFIG;
            }
        if ((c->tsig_secret == NULL) == (c->tsig_secret_file == NULL)) {
            oe_conf_error_key(cf, sec, "tsig-secret",
                              "dns-01 needs one of tsig-secret or tsig-secret-file");
            rc = OE_ECONFIG;
        }
    }
    if (used[CH_TLSALPN01] && oe_http_tls_port(cf) == 0) {
        oe_conf_error_key(cf, sec, "challenge", "tls-alpn-01 needs a TLS listener on port 443");
        rc = OE_ECONFIG;
    } else if (used[CH_TLSALPN01] && oe_http_tls_port(cf) != 443) {
        oe_conf_warn_key(cf, sec, "challenge",
                         "the first TLS listener is not on port 443: the ACME server validates "
                         "tls-alpn-01 on port 443 (fine behind a port forward, or with a test "
                         "server)");
    }
    if (used[CH_HTTP01] && !any_plain) {
        oe_conf_error_key(cf, sec, "challenge",
                          "http-01 needs a plain-HTTP listener ([listen] with tls = no) on "
                          "port 80");
        rc = OE_ECONFIG;
    } else if (used[CH_HTTP01] && !port80) {
        oe_conf_warn_key(cf, sec, "challenge",
                         "no plain-HTTP listener on port 80: the ACME server validates http-01 on "
                         "port 80 (fine behind a port forward, or with a test server)");
    }
    return rc;
}

int oe_acme__site_challenge(const acme_conf_t *c, const oe_site_t *s)
{
    for (size_t h = 0; h < s->hosts.n; h++)
        if (s->hosts.v[h][0] == '*')
            return CH_DNS01;
    return c->challenge;
}

/* ---- HTTP-01: answered by the plain-HTTP listener (worker threads) --------------------------- */

#define CHALLENGE_PREFIX "/.well-known/acme-challenge/"

static void http01(oe_req_t *req, void *data)
{
    acme_t *a = data;
    size_t plen = strlen(CHALLENGE_PREFIX);
    oe_slice_t token = OE_SLICE(req->path.base + plen, req->path.len - plen);
    char *answer = NULL;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->ntokens && answer == NULL; i++)
        if (oe_slice_eq(token, OE_SLICE_STR(a->tokens[i].token)))
            answer = oe_strdup(a->tokens[i].keyauth);
    pthread_mutex_unlock(&a->lock);
    if (answer == NULL) {
        oe_resp_error(req, 404);
        return;
    }
    /* RFC 8555 §8.3: the body is the key authorization. */
    oe_resp_header(req, "content-type", "application/octet-stream");
    oe_resp_send(req, 200, answer, strlen(answer));
    free(answer);
}

void oe_acme__tokens_clear(acme_t *a)
{
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->ntokens; i++) {
        free(a->tokens[i].token);
        free(a->tokens[i].keyauth);
    }
    free(a->tokens);
    a->tokens = NULL;
    a->ntokens = 0;
    pthread_mutex_unlock(&a->lock);
}

void oe_acme__token_add(acme_t *a, const char *token, const char *keyauth)
{
    pthread_mutex_lock(&a->lock);
    a->tokens = oe_realloc(a->tokens, (a->ntokens + 1) * sizeof(*a->tokens));
    a->tokens[a->ntokens++] = (token_t){oe_strdup(token), oe_strdup(keyauth)};
    pthread_mutex_unlock(&a->lock);
}

/* ---- module hooks --------------------------------------------------------------------------- */

static int init(oe_modctx_t *ctx)
{
    acme_t *a = oe_calloc(1, sizeof(*a));
    a->ctx = ctx;
    a->conf = oe_conf_get(ctx->cf, &oe_acme_module);
    a->http = oe_http_of(ctx);
    a->state_dir = oe_core_conf(ctx->cf)->state_dir;
    snprintf(a->dir, sizeof(a->dir), "%s/acme", a->state_dir);
    a->acct = a->conf->account_key == OE_ACME_RS256 ? "account-rsa" : "account";
    pthread_mutex_init(&a->lock, NULL);
    ctx->data = a;
    int rc = oe_mkdir_p(a->dir, 0700);
    if (rc < 0) {
        oe_log_error(TAG, "%s: %s", a->dir, oe_strerror(rc));
        return rc;
    }
    if ((rc = oe_acme__account_load(a)) < 0)
        return rc;
    size_t n = oe_http_site_count(ctx->cf);
    a->sites = oe_calloc(n ? n : 1, sizeof(*a->sites));
    for (size_t i = 0; i < n; i++) {
        const oe_site_t *s = oe_http_site(ctx->cf, i);
        if (!s->cert_acme)
            continue;
        a->sites[a->nsites].site = s;
        a->sites[a->nsites].challenge = oe_acme__site_challenge(a->conf, s);
        a->uses[a->sites[a->nsites].challenge] = true;
        oe_acme__site_load(a, &a->sites[a->nsites]);
        a->nsites++;
    }
    a->tls_server = oe_http_tls_server(a->http);
    if (a->uses[CH_TLSALPN01]) {
        if (a->tls_server == NULL || (rc = oe_tls_server_enable_acme(a->tls_server)) < 0) {
            oe_log_error(TAG, "tls-alpn-01: no TLS listener to answer on");
            return OE_ECONFIG;
        }
    }
    /* HTTP-01 answers only for the sites validated by it: other sites keep whatever their own
     * files say under that path. */
    for (size_t i = 0; a->http != NULL && i < a->nsites; i++)
        if (a->sites[i].challenge == CH_HTTP01 &&
            (rc = oe_http_route(a->http, a->sites[i].site, OE_M_GET | OE_M_HEAD, CHALLENGE_PREFIX,
                                http01, a)) < 0)
            return rc;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    acme_t *a = h->data;
    a->handles--;
    oe_runtime_wake(a->ctx->rt);
}

/* The dns-01 publisher, with the TSIG secret from the config or its file (0600). */
static int dns01_open(acme_t *a)
{
    const acme_conf_t *c = a->conf;
    char secret[256], *err = NULL;
    if (c->tsig_secret_file != NULL) {
        int n = oe_file_read_secret(c->tsig_secret_file, (uint8_t *)secret, sizeof(secret) - 1);
        if (n < 0) {
            oe_log_error(TAG, "tsig-secret-file %s: %s", c->tsig_secret_file, oe_strerror(n));
            return n;
        }
        while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
            n--;
        secret[n] = '\0';
    } else {
        snprintf(secret, sizeof(secret), "%s", c->tsig_secret);
    }
    a->dns01 = oe_acme_dns_new(a->ctx->loop, &c->update_server, c->update_zone, c->tsig_name,
                               secret, 3000, &err);
    oe_wipe(secret, sizeof(secret));
    if (a->dns01 == NULL) {
        oe_log_error(TAG, "dns-01: %s", err);
        free(err);
        return OE_ECONFIG;
    }
    return 0;
}

static int start(oe_modctx_t *ctx)
{
    acme_t *a = ctx->data;
    int rc;
    static const char *const alpn[] = {"h2", "http/1.1", NULL};
    oe_tls_client_opts_t opts = {.ca_file = a->conf->ca_file, .alpn = alpn};
    char *err = NULL;
    a->tls = oe_tls_client_new(&opts, &err);
    if (a->tls == NULL) {
        oe_log_error(TAG, "%s", err ? err : "cannot create the TLS client");
        free(err);
        return OE_ECONFIG;
    }
    oe_http_client_conf_t hc = {.tls = a->tls, .max_response = 256 * 1024};
    a->client = oe_http_client_new(ctx->loop, &hc);
    uv_timer_init(ctx->loop, &a->check);
    uv_timer_init(ctx->loop, &a->wait);
    a->check.data = a->wait.data = a;
    if (a->conf->resolver.len > 0 ||
        oe_resolv_conf_nameserver("/etc/resolv.conf", &a->resolver, a->resolver_text,
                                  sizeof(a->resolver_text)) == 0) {
        oe_upstream_conf_t uc = {.servers =
                                     a->conf->resolver.len > 0 ? &a->conf->resolver : &a->resolver,
                                 .nservers = 1};
        a->dns = oe_upstream_new(ctx->loop, &uc);
    }
    if (a->uses[CH_DNS01] && (rc = dns01_open(a)) < 0)
        return rc;
    a->handles = 2;
    /* The first look soon after start (the listeners are up by then), then every interval. */
    uv_timer_start(&a->check, oe_acme__check, 100, a->conf->check_interval);
    return 0;
}

static void stop(oe_modctx_t *ctx)
{
    acme_t *a = ctx->data;
    if (a == NULL || a->client == NULL)
        return;
    a->stopping = true;
    if (a->lookup_q != NULL)
        oe_upstream_cancel(a->lookup_q);
    a->lookup_q = NULL;
    if (a->dns != NULL)
        oe_upstream_close(a->dns);
    a->dns = NULL;
    oe_acme_dns_close(a->dns01);
    a->dns01 = NULL;
    oe_http_client_close(a->client); /* cancels the call without a callback */
    a->client = NULL;
    a->call = NULL;
    uv_close((uv_handle_t *)&a->check, on_closed);
    uv_close((uv_handle_t *)&a->wait, on_closed);
}

static bool stopped(oe_modctx_t *ctx)
{
    acme_t *a = ctx->data;
    return a == NULL || a->handles == 0;
}

static void destroy(oe_modctx_t *ctx)
{
    acme_t *a = ctx->data;
    if (a == NULL)
        return;
    if (a->job != NULL)
        oe_acme__job_clear(a);
    oe_acme__tokens_clear(a);
    oe_tls_client_free(a->tls);
    oe_buf_free(&a->sent);
    free(a->sites);
    free(a->kid);
    oe_crypto_p256_key_wipe(&a->key.ec);
    oe_crypto_rsa_free(a->key.rsa);
    pthread_mutex_destroy(&a->lock);
    free(a);
    ctx->data = NULL;
}

static const oe_command_t commands[] = {
    {"acme", "acme status|renew [SITE] [-c FILE]",
     "ACME certificates: their state per site, or ask the running server to renew now",
     oe_acme__command},
    {NULL, NULL, NULL, NULL},
};

const oe_module_t oe_acme_module = {
    .name = "acme",
    .section = "acme",
    .flags = 0,
    .conf_size = sizeof(acme_conf_t),
    .directives = directives,
    .summary = "certificates from an ACME server (RFC 8555) for sites with cert = acme",
    .commands = commands,
    .conf_init = conf_init,
    .conf_check = conf_check,
    .init = init,
    .start = start,
    .stop = stop,
    .stopped = stopped,
    .destroy = destroy,
};
