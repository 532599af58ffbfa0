/*
 * ORIGIN frames (RFC 8336). For each certificate and each TLS listener the payload is encoded
 * once, when the configuration is loaded, and sent on every h2 connection that presents that
 * certificate, right after the server's SETTINGS (h2.c). The set depends on the origin setting
 * of the site that brought the certificate:
 *   auto  every configured host name that the certificate covers (wildcards match configured
 *         names; no name is ever invented)
 *   self  an empty frame: the client's origin set stays the SNI origin alone
 *   off   no frame
 *   LIST  the configured origins, each checked at config time to be covered and served here
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/core.h"
#include "core/log.h"
#include "core/net.h"
#include "http/http_int.h"

#define ORIGIN_MAX_PAYLOAD 16384 /* the default SETTINGS_MAX_FRAME_SIZE */

static unsigned listen_port(const oe_listen_conf_t *l)
{
    return oe_sockaddr_port((const struct sockaddr *)&l->addresses.v[0].ss);
}

bool oe_http_site_cert_covers(const oe_site_t *site, const char *host)
{
    if (site->cert_auto) {
        for (size_t i = 0; i < site->hosts.n; i++)
            if (strcmp(site->hosts.v[i], host) == 0)
                return true;
        return false;
    }
    if (site->cert == NULL)
        return false;
    oe_tls_server_t *tls = oe_tls_server_new(NULL, NULL);
    oe_tls_cert_t *cert = NULL;
    bool covers = tls != NULL &&
                  oe_tls_server_add_cert(tls, site->cert, site->key, &cert, NULL) == 0 &&
                  oe_tls_cert_covers(cert, OE_SLICE_STR(host));
    oe_tls_server_free(tls);
    return covers;
}

unsigned oe_http_tls_port(const oe_conf_t *cf)
{
    for (size_t i = 0; i < oe_conf_count(cf, &oe_http_module); i++) {
        const oe_listen_conf_t *l = oe_conf_section(cf, &oe_http_module, i)->conf;
        if (l->tls && l->addresses.n > 0)
            return listen_port(l);
    }
    return 0;
}

bool oe_http_plain_listener(const oe_conf_t *cf, unsigned port)
{
    for (size_t i = 0; i < oe_conf_count(cf, &oe_http_module); i++) {
        const oe_listen_conf_t *l = oe_conf_section(cf, &oe_http_module, i)->conf;
        for (size_t a = 0; !l->tls && a < l->addresses.n; a++)
            if (port == 0 ||
                oe_sockaddr_port((const struct sockaddr *)&l->addresses.v[a].ss) == port)
                return true;
    }
    return false;
}

void oe_http__origin_of(char *out, size_t cap, const char *host, const oe_listen_conf_t *l)
{
    unsigned port = listen_port(l);
    if (port == 443)
        snprintf(out, cap, "https://%s", host);
    else
        snprintf(out, cap, "https://%s:%u", host, port);
}

/* RFC 8336 §2: the payload is a sequence of Origin-Entry = u16 Origin-Len | ASCII-Origin. */
static void add_entry(oe_buf_t *b, const char *origin)
{
    uint8_t len[2];
    oe_put16(len, (uint16_t)strlen(origin));
    oe_buf_append(b, len, 2);
    oe_buf_append(b, origin, strlen(origin));
}

bool oe_http__same_cert(const oe_site_t *a, const oe_site_t *b)
{
    if (a->cert_auto || b->cert_auto) /* cert = auto makes one certificate per site */
        return a == b;
    return a->cert != NULL && b->cert != NULL && strcmp(a->cert, b->cert) == 0;
}

int oe_http__origins_build(oe_http_t *http)
{
    for (size_t i = 0; i < http->ncerts; i++) {
        cert_info_t *ci = &http->certs[i];
        const oe_site_t *owner = ci->owner;
        ci->origin = oe_calloc(http->nlistens ? http->nlistens : 1, sizeof(*ci->origin));
        ci->send_origin = owner != NULL && owner->origin_mode != OE_ORIGIN_OFF;
        for (size_t l = 0; owner != NULL && l < http->nlistens; l++) {
            const oe_listen_conf_t *lc = http->listens[l];
            oe_buf_t *b = &ci->origin[l];
            char origin[300];
            if (!lc->tls)
                continue;
            if (owner->origin_mode == OE_ORIGIN_AUTO) {
                for (size_t s = 0; s < http->nsites; s++) {
                    for (size_t h = 0; h < http->sites[s]->hosts.n; h++) {
                        const char *host = http->sites[s]->hosts.v[h];
                        /* An origin names one host: a wildcard site name has none. */
                        if (host[0] == '*' || !oe_tls_cert_covers(ci->cert, OE_SLICE_STR(host)))
                            continue;
                        oe_http__origin_of(origin, sizeof(origin), host, lc);
                        add_entry(b, origin);
                    }
                }
            } else if (owner->origin_mode == OE_ORIGIN_LIST) {
                for (size_t k = 0; k < owner->origins.n; k++)
                    add_entry(b, owner->origins.v[k]);
            }
            if (b->len > ORIGIN_MAX_PAYLOAD) {
                oe_log_error(TAG,
                             "[site \"%s\"]: the ORIGIN set of %s is %zu bytes, more than one "
                             "frame (%d); use origin = LIST or split the certificate",
                             owner->name, ci->file, b->len, ORIGIN_MAX_PAYLOAD);
                return OE_ECONFIG;
            }
        }
    }
    return 0;
}

void oe_http__origins_free(oe_http_t *http)
{
    for (size_t i = 0; i < http->ncerts; i++) {
        for (size_t l = 0; http->certs[i].origin != NULL && l < http->nlistens; l++)
            oe_buf_free(&http->certs[i].origin[l]);
        free(http->certs[i].origin);
    }
}

/* Is origin (as on the wire) for host in the payload? */
static bool payload_has_host(const oe_buf_t *b, oe_slice_t host)
{
    const uint8_t *p = b->base, *end = b->base + b->len;
    while (p + 2 <= end) {
        size_t len = oe_get16(p);
        const uint8_t *o = p + 2 + 8; /* past "https://" */
        const uint8_t *e = p + 2 + len;
        const uint8_t *colon = memchr(o, ':', (size_t)(e - o));
        oe_slice_t h = OE_SLICE(o, (size_t)((colon ? colon : e) - o));
        if (oe_slice_eq_nocase(h, host))
            return true;
        p = e;
    }
    return false;
}

bool oe_http__origin_allows(const conn_t *c, oe_slice_t host)
{
    const cert_info_t *ci = c->cert;
    if (ci == NULL)
        return true; /* plain HTTP */
    if (!oe_tls_cert_covers(ci->cert, host))
        return false;
    if (ci->owner == NULL)
        return true;
    bool is_sni = c->sni != NULL && oe_slice_eq(host, OE_SLICE_STR(c->sni));
    switch (ci->owner->origin_mode) {
    case OE_ORIGIN_SELF:
        return is_sni || c->sni == NULL;
    case OE_ORIGIN_LIST:
        return is_sni || c->sni == NULL || payload_has_host(&ci->origin[c->listen_index], host);
    default:
        return true;
    }
}

/* ---- config-time checks -----------------------------------------------------------------------
 */

/* Exposed for http_conf.c: validates origin lists and the size bound of auto sets. */
int oe_http__origins_check(oe_conf_t *cf, const oe_conf_section_t *sec, const oe_site_t *site,
                           const oe_site_t *const *sites, size_t nsites, const oe_tls_cert_t *cert)
{
    int rc = 0;
    if (site->origin_mode == OE_ORIGIN_LIST) {
        size_t bytes = 0;
        for (size_t k = 0; k < site->origins.n; k++) {
            const char *o = site->origins.v[k];
            const char *host = o + 8;
            const char *colon = strchr(host, ':');
            char h[256];
            snprintf(h, sizeof(h), "%.*s", (int)(colon ? (size_t)(colon - host) : strlen(host)),
                     host);
            /* The origin's port must be one this server speaks TLS on (443 when omitted). */
            unsigned port = colon ? (unsigned)atoi(colon + 1) : 443;
            bool port_ok = false;
            for (size_t l = 0; l < oe_conf_count(cf, &oe_http_module); l++) {
                const oe_listen_conf_t *lc = oe_conf_section(cf, &oe_http_module, l)->conf;
                for (size_t a = 0; lc->tls && a < lc->addresses.n; a++) {
                    port_ok |=
                        oe_sockaddr_port((const struct sockaddr *)&lc->addresses.v[a].ss) == port;
                }
            }
            if (!port_ok) {
                oe_conf_error_key(cf, sec, "origin", "\"%s\": no TLS listener on port %u", o, port);
                rc = OE_ECONFIG;
                continue;
            }
            bool served = false;
            for (size_t s = 0; s < nsites; s++)
                for (size_t i = 0; i < sites[s]->hosts.n; i++)
                    served |= strcmp(sites[s]->hosts.v[i], h) == 0;
            bool covered = false;
            if (site->cert_auto) {
                for (size_t i = 0; i < site->hosts.n; i++)
                    covered |= strcmp(site->hosts.v[i], h) == 0;
            } else {
                covered = cert != NULL && oe_tls_cert_covers(cert, OE_SLICE_STR(h));
            }
            if (!served) {
                oe_conf_error_key(cf, sec, "origin",
                                  "\"%s\": %s is not served here (no site has it)", o, h);
                rc = OE_ECONFIG;
            } else if (!covered) {
                oe_conf_error_key(cf, sec, "origin",
                                  "\"%s\": the certificate of this site does not cover %s", o, h);
                rc = OE_ECONFIG;
            }
            bytes += 2 + strlen(o);
        }
        if (bytes > ORIGIN_MAX_PAYLOAD) {
            oe_conf_error_key(cf, sec, "origin",
                              "%zu bytes of origins do not fit one ORIGIN frame (%d)", bytes,
                              ORIGIN_MAX_PAYLOAD);
            rc = OE_ECONFIG;
        }
    } else if (site->origin_mode == OE_ORIGIN_AUTO) {
        /* Upper bound: every configured name with the longest port suffix. */
        size_t bytes = 0;
        for (size_t s = 0; s < nsites; s++)
            for (size_t i = 0; i < sites[s]->hosts.n; i++)
                bytes += 2 + strlen("https://:65535") + strlen(sites[s]->hosts.v[i]);
        if (bytes > ORIGIN_MAX_PAYLOAD) {
            oe_conf_error_key(cf, sec, "origin",
                              "origin = auto could exceed one ORIGIN frame (%d bytes) with %zu "
                              "bytes of names; list the origins instead",
                              ORIGIN_MAX_PAYLOAD, bytes);
            rc = OE_ECONFIG;
        }
    }
    return rc;
}

/* ---- `odoh-edge origins` ----------------------------------------------------------------------
 */

static const char *mode_name(int mode)
{
    static const char *const names[] = {"auto", "self", "off", "list"};
    return names[mode];
}

/* Removes the temporary state folder of an inspection: DIR/tls/ * and DIR. */
static void remove_scratch(const char *dir)
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof(sub), "%s/tls", dir);
    DIR *d = opendir(sub);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d != NULL)
        closedir(d);
    rmdir(sub);
    rmdir(dir);
}

/* Inspection writes nothing to the state folder: cert = auto material is made in a scratch
 * folder (removed at the end) and the listing says which files a run would create. */
int oe_http__origins_command(int argc, char **argv)
{
    int code;
    oe_conf_t *cf = oe_cli_config(&argc, argv, &code);
    if (cf == NULL)
        return code;
    if (argc > 1) {
        fprintf(stderr, "usage: odoh-edge origins [-c FILE]\n");
        oe_conf_free(cf);
        return OE_EXIT_USAGE;
    }
    if (oe_conf_count(cf, &oe_http_module) == 0) {
        fprintf(stderr, "%s: no [listen] section: nothing is served\n", oe_conf_path(cf));
        oe_conf_free(cf);
        return 1;
    }
    oe_core_conf_t *core = oe_conf_get(cf, &oe_core_module); /* writable: the scratch below */
    const char *state_dir = core->state_dir;
    char scratch[] = "/tmp/odoh-edge-origins-XXXXXX";
    if (mkdtemp(scratch) == NULL) {
        fprintf(stderr, "origins: cannot make a scratch folder: %s\n", strerror(errno));
        oe_conf_free(cf);
        return 1;
    }
    core->state_dir = scratch;
    oe_log_open(NULL, OE_LOG_WARN, OE_LOG_TEXT); /* no cert = auto chatter about the scratch */
    oe_modctx_t ctx = {.module = &oe_http_module, .cf = cf};
    if (oe_http__init(&ctx) < 0) {
        remove_scratch(scratch);
        oe_conf_free(cf);
        return 1;
    }
    oe_http_t *http = ctx.data;
    for (size_t i = 0; i < http->ncerts; i++) {
        const cert_info_t *ci = &http->certs[i];
        size_t sl = strlen(scratch);
        if (strncmp(ci->file, scratch, sl) == 0) {
            char real[PATH_MAX];
            snprintf(real, sizeof(real), "%s%s", state_dir, ci->file + sl);
            printf("certificate %zu%s: %s (cert = auto; %s)\n", i + 1,
                   i == 0 ? " (default, also without SNI)" : "", real,
                   access(real, F_OK) == 0 ? "exists; a run reuses it while it covers these names"
                                           : "not there yet: a run would generate it and its key");
        } else {
            printf("certificate %zu%s: %s\n", i + 1, i == 0 ? " (default, also without SNI)" : "",
                   ci->file);
        }
        printf("  from [site \"%s\"], origin = %s\n", ci->owner->name,
               mode_name(ci->owner->origin_mode));
        printf("  covers:");
        for (size_t k = 0; k < oe_tls_cert_name_count(ci->cert); k++)
            printf(" %s", oe_tls_cert_name(ci->cert, k));
        printf("\n  chosen for SNI:");
        for (size_t s = 0; s < http->nsites; s++)
            for (size_t h = 0; h < http->sites[s]->hosts.n; h++) {
                oe_slice_t host = OE_SLICE_STR(http->sites[s]->hosts.v[h]);
                if (oe_tls_server_pick_cert(http->tls, host) == ci->cert)
                    printf(" %s", http->sites[s]->hosts.v[h]);
            }
        printf("\n");
        for (size_t l = 0; l < http->nlistens; l++) {
            if (!http->listens[l]->tls)
                continue;
            printf("  ORIGIN frame on [listen \"%s\"]:", http->listens[l]->name);
            if (!ci->send_origin) {
                printf(" none (origin = off)\n");
                continue;
            }
            const oe_buf_t *b = &ci->origin[l];
            if (b->len == 0)
                printf(" empty (the SNI origin only)");
            printf("\n");
            for (const uint8_t *p = b->base; p != NULL && p + 2 <= b->base + b->len;
                 p += 2 + oe_get16(p))
                printf("    %.*s\n", (int)oe_get16(p), (const char *)p + 2);
        }
    }
    bool any_auto = false;
    for (size_t i = 0; i < http->nsites; i++)
        any_auto |= http->sites[i]->cert_auto;
    char ca[PATH_MAX];
    snprintf(ca, sizeof(ca), "%s/tls/ca.pem", state_dir);
    if (any_auto && access(ca, F_OK) != 0)
        printf("local CA: %s not there yet: a run would generate it and its key\n", ca);
    oe_http__destroy(&ctx);
    remove_scratch(scratch);
    oe_conf_free(cf);
    return 0;
}
