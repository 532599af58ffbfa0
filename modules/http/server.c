/*
 * The server: building it from the configuration (certificates, sites, routes), and its worker
 * threads, which accept from listening sockets shared across generations (sockets.c).
 *
 * Stopping (a reload retired this generation, or the process stops) never blocks the main loop:
 * the workers drain on their own threads, each signals the runtime when its loop has ended, and
 * oe_http__stopped() tells the runtime when joining them no longer waits.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/log.h"
#include "http/http_int.h"

/* ---- building ------------------------------------------------------------------------------ */

oe_http_t *oe_http_of(oe_modctx_t *ctx)
{
    return oe_modctx_peer(ctx, &oe_http_module);
}

int oe_http_route(oe_http_t *http, const oe_site_t *site, unsigned methods, const char *prefix,
                  oe_handler_fn fn, void *data)
{
    if (http == NULL || prefix == NULL || prefix[0] != '/' || fn == NULL || http->started)
        return OE_EINVAL;
    http->routes = oe_realloc(http->routes, (http->nroutes + 1) * sizeof(*http->routes));
    route_t *r = &http->routes[http->nroutes++];
    *r = (route_t){.site = site,
                   .prefix = oe_strdup(prefix),
                   .prefix_len = strlen(prefix),
                   .methods = methods,
                   .fn = fn,
                   .data = data};
    return 0;
}

int oe_http_add_worker_hook(oe_http_t *http, const oe_http_worker_hook_t *hook)
{
    if (http == NULL || http->started || http->nhooks == OE_ARRAY_SIZE(http->hooks))
        return OE_EINVAL;
    http->hooks[http->nhooks] = *hook;
    return (int)http->nhooks++;
}

void *oe_req_worker_state(const oe_req_t *req, int key)
{
    worker_t *w = (worker_t *)((char *)req->loop - offsetof(worker_t, loop));
    return key >= 0 && (size_t)key < w->http->nhooks ? w->hook_state[key] : NULL;
}

/* cert = auto: a demo leaf per site (STATE/tls/site-NAME.pem) for its host names, all signed by
 * one local CA (STATE/tls/ca.pem), so that each site keeps its own ORIGIN set. */
static int load_auto_cert(const oe_site_t *site, const char *state_dir, unsigned port, char **cert,
                          char **key)
{
    static bool hinted; /* main thread only: once per process, not again on each reload */
    char *ca = NULL, *err = NULL;
    char dir[4096], leaf[300];
    snprintf(dir, sizeof(dir), "%s/tls", state_dir);
    snprintf(leaf, sizeof(leaf), "site-%s", site->name);
    for (char *p = leaf; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') && *p != '-')
            *p = '_';
    int rc = oe_tls_auto_cert_leaf(dir, leaf, site->hosts.v, site->hosts.n, cert, key, &ca, &err);
    if (rc < 0) {
        oe_log_error(TAG, "[site \"%s\"] cert = auto: %s", site->name, err ? err : oe_strerror(rc));
        free(err);
        return rc;
    }
    if (rc & OE_TLS_AUTO_NEW_CA)
        oe_log_info(TAG, "cert = auto: generated a local CA in %s", ca);
    if (rc & OE_TLS_AUTO_NEW_LEAF)
        oe_log_info(TAG, "cert = auto: generated a certificate for [site \"%s\"]", site->name);
    if (!hinted) {
        char p[8] = "";
        if (port != 443)
            snprintf(p, sizeof(p), ":%u", port);
        oe_log_info(TAG, "cert = auto: trust %s to connect, e.g. curl --cacert %s https://%s%s/",
                    ca, ca, site->hosts.v[0], p);
        hinted = true;
    }
    free(ca);
    return 0;
}

void oe_http_acme_paths(const oe_site_t *site, const char *state_dir, char *cert, char *key,
                        size_t cap)
{
    char name[256];
    snprintf(name, sizeof(name), "%s", site->name ? site->name : "site");
    for (char *p = name; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') && *p != '-')
            *p = '_';
    snprintf(cert, cap, "%s/acme/%s.pem", state_dir, name);
    snprintf(key, cap, "%s/acme/%s.key", state_dir, name);
}

/* cert = acme: the certificate the ACME module stored, when there is one and it loads; else the
 * site starts on a cert = auto leaf (its listener must come up to answer the challenges) until
 * the ACME module swaps the real one in. */
static int load_acme_cert(oe_http_t *http, const oe_site_t *s, const char *state_dir, char **cert,
                          char **key)
{
    char c[4096], k[4096], *err = NULL;
    oe_http_acme_paths(s, state_dir, c, k, sizeof(c));
    oe_tls_server_t *probe = oe_tls_server_new(NULL, NULL);
    oe_tls_cert_t *pc = NULL;
    int rc = probe ? oe_tls_server_add_cert(probe, c, k, &pc, &err) : OE_ECRYPTO;
    for (size_t i = 0; rc == 0 && i < s->hosts.n; i++)
        if (!oe_tls_cert_covers(pc, OE_SLICE_STR(s->hosts.v[i])))
            rc = OE_ECONFIG;
    oe_tls_server_free(probe);
    if (rc == 0) {
        *cert = oe_strdup(c);
        *key = oe_strdup(k);
        return 0;
    }
    if (rc != -ENOENT)
        oe_log_warn(TAG, "[site \"%s\"] cert = acme: %s", s->name,
                    err ? err : "the stored certificate does not cover the site's names");
    free(err);
    oe_log_info(TAG,
                "[site \"%s\"] cert = acme: no certificate yet; serving a temporary one (cert = "
                "auto) until the ACME server issues it",
                s->name);
    return load_auto_cert(s, state_dir, oe_http_tls_port(http->cf), cert, key);
}

struct oe_tls_server *oe_http_tls_server(oe_http_t *http)
{
    return http != NULL ? http->tls : NULL;
}

int oe_http_site_cert_replace(oe_http_t *http, const oe_site_t *site, const char *cert,
                              const char *key, char **err)
{
    for (size_t i = 0; http != NULL && i < http->ncerts; i++)
        if (http->certs[i].owner == site)
            return oe_tls_cert_replace(oe_tls_server_cert(http->tls, i), cert, key, err);
    return -ENOENT;
}

/* The bytes of a certificate file, to tell whether a reload serves the same certificate. */
static oe_buf_t read_pem(const char *path)
{
    oe_buf_t b = {0};
    (void)oe_file_read_all(path, &b); /* a missing file reads as empty */
    return b;
}

static int load_certs(oe_http_t *http, const char *state_dir)
{
    char *err = NULL;
    http->tls = oe_tls_server_new(NULL, &err);
    if (http->tls == NULL) {
        oe_log_error(TAG, "TLS: %s", err ? err : "cannot create the server context");
        free(err);
        return OE_ECRYPTO;
    }
    int rc;
    /* In site order, each distinct certificate once; the first is the default. */
    const oe_site_t **owners = oe_calloc(http->nsites + 1, sizeof(*owners));
    const char **files = oe_calloc(http->nsites + 1, sizeof(*files));
    oe_buf_t *pems = oe_calloc(http->nsites + 1, sizeof(*pems));
    size_t n = 0;
    rc = 0;
    for (size_t i = 0; i < http->nsites && rc == 0; i++) {
        const oe_site_t *s = http->sites[i];
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= oe_http__same_cert(owners[k], s);
        if (seen || (!s->cert_auto && s->cert == NULL))
            continue;
        char *auto_cert = NULL, *auto_key = NULL;
        if (s->cert_acme && (rc = load_acme_cert(http, s, state_dir, &auto_cert, &auto_key)) < 0)
            break;
        if (s->cert_auto && !s->cert_acme &&
            (rc = load_auto_cert(s, state_dir, oe_http_tls_port(http->cf), &auto_cert, &auto_key)) <
                0)
            break;
        const char *cert = s->cert_auto ? auto_cert : s->cert;
        rc = oe_tls_server_add_cert(http->tls, cert, s->cert_auto ? auto_key : s->key, NULL, &err);
        free(auto_key);
        if (rc < 0) {
            free(auto_cert);
            oe_log_error(TAG, "[site \"%s\"]: %s", s->name, err ? err : oe_strerror(rc));
            free(err);
            break;
        }
        owners[n] = s;
        pems[n] = read_pem(cert);
        files[n++] = oe_strdup(cert);
        free(auto_cert);
    }
    http->ncerts = rc == 0 ? oe_tls_server_cert_count(http->tls) : 0;
    http->certs = oe_calloc(http->ncerts ? http->ncerts : 1, sizeof(*http->certs));
    for (size_t i = 0; i < http->ncerts; i++) {
        oe_tls_cert_t *c = oe_tls_server_cert(http->tls, i);
        http->certs[i] =
            (cert_info_t){.cert = c, .owner = owners[i], .file = files[i], .pem = pems[i]};
        files[i] = NULL;
        pems[i] = (oe_buf_t){0};
        oe_tls_cert_set_data(c, &http->certs[i]);
    }
    for (size_t i = 0; i < n; i++) {
        free((char *)files[i]);
        oe_buf_free(&pems[i]);
    }
    free(owners);
    free(files);
    free(pems);
    if (rc < 0)
        return rc;
    return oe_http__origins_build(http);
}

int oe_http__init(oe_modctx_t *ctx)
{
    oe_http_t *http = oe_calloc(1, sizeof(*http));
    const oe_core_conf_t *core = oe_core_conf(ctx->cf);
    http->cf = ctx->cf;
    http->rt = ctx->rt;
    http->shutdown_timeout = core->shutdown_timeout;
    http->nworkers = oe_core_workers(core);
    http->nlistens = oe_conf_count(ctx->cf, &oe_http_module);
    http->listens = oe_calloc(http->nlistens, sizeof(*http->listens));
    http->nconns = oe_calloc(http->nlistens ? http->nlistens : 1, sizeof(*http->nconns));
    bool any_tls = false;
    for (size_t i = 0; i < http->nlistens; i++) {
        http->listens[i] = oe_conf_section(ctx->cf, &oe_http_module, i)->conf;
        any_tls |= http->listens[i]->tls;
    }
    http->nsites = oe_http_site_count(ctx->cf);
    http->sites = oe_calloc(http->nsites ? http->nsites : 1, sizeof(*http->sites));
    for (size_t i = 0; i < http->nsites; i++)
        http->sites[i] = oe_http_site(ctx->cf, i);
    ctx->data = http;
    if (any_tls) {
        int rc = load_certs(http, core->state_dir);
        if (rc < 0) {
            oe_http__destroy(ctx);
            return rc;
        }
    }
    return 0;
}

/* Descriptors the process keeps besides connections: loops, listeners, logs, upstream sockets. */
#define FD_RESERVE 64

/* Every connection needs a descriptor (and an HTTP/2 file response one more): raises the soft
 * RLIMIT_NOFILE towards the hard one when the configured max-connections need it, and says so
 * when they still cannot all be reached. */
static void check_fd_limit(const oe_http_t *http)
{
    long long want = FD_RESERVE;
    for (size_t i = 0; i < http->nlistens; i++)
        want += http->listens[i]->max_connections;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
        (long long)rl.rlim_cur >= want)
        return;
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur =
        rl.rlim_max == RLIM_INFINITY || (long long)rl.rlim_max >= want ? (rlim_t)want : rl.rlim_max;
    if (rl.rlim_cur > old && setrlimit(RLIMIT_NOFILE, &rl) == 0)
        oe_log_info(TAG, "raised the open-file limit from %llu to %llu for max-connections",
                    (unsigned long long)old, (unsigned long long)rl.rlim_cur);
    else
        rl.rlim_cur = old;
    if ((long long)rl.rlim_cur < want)
        oe_log_warn(TAG,
                    "max-connections cannot be reached: they need about %lld open files, the "
                    "limit is %llu (ulimit -n; hard limit %llu); beyond it files are answered "
                    "with 503 and new connections wait",
                    want, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
}

int oe_http__start(oe_modctx_t *ctx)
{
    oe_http_t *http = ctx->data;
    check_fd_limit(http);
    int rc = oe_http__sockets_acquire(http);
    if (rc < 0)
        return rc;
    http->started = true;
    http->workers = oe_calloc(http->nworkers, sizeof(*http->workers));
    for (unsigned i = 0; i < http->nworkers; i++) {
        rc = oe_http__worker_start(http, &http->workers[i], i);
        if (rc < 0) {
            /* Those that started may have accepted a connection already: they drain in the
             * background like any stopped generation's (oe_http__stopped, oe_http__destroy). */
            http->hurry = true;
            while (i-- > 0)
                oe_http__worker_stop(&http->workers[i]);
            oe_http__sockets_release(http);
            return rc;
        }
    }
    oe_http__handoff_publish(http);
    for (size_t i = 0; i < http->nlistens; i++)
        for (size_t a = 0; a < http->listens[i]->addresses.n; a++)
            oe_log_info(TAG, "listening on %s (%s, %u workers)",
                        http->listens[i]->addresses.v[a].text,
                        http->listens[i]->tls ? "https: h2, http/1.1" : "http", http->nworkers);
    return 0;
}

/* Workers stop accepting and drain; addresses the next generation does not use close now. */

/* Generations stopped but not destroyed yet (main thread only): when the process stops, those
 * still draining after a reload hurry too. */
static oe_http_t **draining;
static size_t ndraining;

void oe_http__stop(oe_modctx_t *ctx)
{
    oe_http_t *http = ctx->data;
    http->hurry = oe_runtime_stopping(ctx->rt);
    oe_http__handoff_withdraw(http);
    oe_http__sockets_release(http);
    for (unsigned i = 0; http->workers != NULL && i < http->nworkers; i++)
        oe_http__worker_stop(&http->workers[i]);
    for (size_t i = 0; http->hurry && i < ndraining; i++) {
        draining[i]->hurry = true;
        for (unsigned k = 0; draining[i]->workers != NULL && k < draining[i]->nworkers; k++)
            if (draining[i]->workers[k].http != NULL)
                oe_http__worker_hurry(&draining[i]->workers[k]);
    }
    draining = oe_realloc(draining, (ndraining + 1) * sizeof(*draining));
    draining[ndraining++] = http;
}

bool oe_http__stopped(oe_modctx_t *ctx)
{
    oe_http_t *http = ctx->data;
    for (unsigned i = 0; http != NULL && http->workers != NULL && i < http->nworkers; i++)
        if (http->workers[i].http != NULL && !atomic_load(&http->workers[i].exited))
            return false;
    return true;
}

/* Runs when oe_http__stopped() is true (or before any start): the joins do not wait. */
void oe_http__destroy(oe_modctx_t *ctx)
{
    oe_http_t *http = ctx->data;
    if (http == NULL)
        return;
    for (size_t i = 0; i < ndraining; i++) {
        if (draining[i] == http) {
            draining[i] = draining[--ndraining];
            break;
        }
    }
    if (ndraining == 0) {
        free(draining);
        draining = NULL;
    }
    for (unsigned i = 0; http->workers != NULL && i < http->nworkers; i++)
        if (http->workers[i].http != NULL)
            uv_thread_join(&http->workers[i].thread);
    oe_http__sockets_release(http);
    free(http->workers);
    oe_http__origins_free(http);
    for (size_t i = 0; i < http->ncerts; i++) {
        free((char *)http->certs[i].file);
        oe_buf_free(&http->certs[i].pem);
    }
    free(http->certs);
    oe_tls_server_free(http->tls);
    for (size_t i = 0; i < http->nroutes; i++)
        free(http->routes[i].prefix);
    free(http->routes);
    free(http->listens);
    free((void *)http->nconns);
    free(http->sites);
    free(http);
    ctx->data = NULL;
}
