/*
 * The http module's configuration: [listen "name"] sections (addresses, TLS, limits) and
 * [site "name"] sections (virtual hosts), and the checks across them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/net.h"
#include "core/stats.h"
#include "http/http_int.h"

static const oe_conf_range_t port_range = {0, 65535, false};
static const oe_conf_range_t conns_range = {1, 1000000, false};
static const oe_conf_range_t timeout_range = {100, 3600 * 1000, false};
static const oe_conf_range_t header_range = {1024, 1 << 20, false};
static const oe_conf_range_t url_range = {256, 1 << 20, false};
static const oe_conf_range_t body_range = {0, 1 << 30, false};
static const oe_conf_range_t headers_range = {8, 1000, false};
static const oe_conf_range_t streams_range = {1, 1000, false};
static const oe_conf_range_t pipeline_range = {1, 128, false};

#define L(f) offsetof(oe_listen_conf_t, f)
static const oe_directive_t listen_directives[] = {
    {"address", oe_conf_set_addrlist, L(addresses), NULL, OE_CONF_LIST,
     "IP:port to listen on, e.g. 127.0.0.1:8443 or [::1]:8443"},
    {"tls", oe_conf_set_bool, L(tls), NULL, 0, "HTTPS (yes, default) or plain HTTP (no)"},
    {"redirect", oe_conf_set_bool, L(redirect), NULL, 0,
     "plain HTTP only: redirect to https://, except /.well-known/ paths"},
    {"https-port", oe_conf_set_int, L(https_port), &port_range, 0,
     "port named in redirects (default: the first TLS listener's)"},
    {"max-connections", oe_conf_set_int, L(max_connections), &conns_range, 0,
     "open connections at most, all workers together"},
    {"handshake-timeout", oe_conf_set_duration, L(handshake_timeout), &timeout_range, 0,
     "time allowed for the TLS handshake"},
    {"header-timeout", oe_conf_set_duration, L(header_timeout), &timeout_range, 0,
     "time allowed to send a request's headers (slow clients are cut off)"},
    {"keepalive-timeout", oe_conf_set_duration, L(keepalive_timeout), &timeout_range, 0,
     "idle time before a connection without requests is closed (HTTP/2 PINGs do not count)"},
    {"send-timeout", oe_conf_set_duration, L(send_timeout), &timeout_range, 0,
     "time a response may wait without the client taking any of it (window or socket)"},
    {"body-timeout", oe_conf_set_duration, L(body_timeout), &timeout_range, 0,
     "HTTP/2: time a request body may pause between DATA frames"},
    {"max-header-size", oe_conf_set_size, L(max_header_size), &header_range, 0,
     "request header bytes at most (431 beyond)"},
    {"max-url-size", oe_conf_set_size, L(max_url_size), &url_range, 0,
     "request target bytes at most (414 beyond)"},
    {"max-body-size", oe_conf_set_size, L(max_body_size), &body_range, 0,
     "request body bytes at most (413 beyond)"},
    {"max-buffered-body", oe_conf_set_size, L(max_buffered_body), &body_range, 0,
     "HTTP/2: request body bytes held per connection, all streams together (at least "
     "max-body-size; a stream beyond it is refused with REFUSED_STREAM)"},
    {"max-headers", oe_conf_set_int, L(max_headers), &headers_range, 0,
     "request header fields at most (431 beyond)"},
    {"max-streams", oe_conf_set_int, L(max_streams), &streams_range, 0,
     "HTTP/2 concurrent streams per connection"},
    {"max-pipelined", oe_conf_set_int, L(max_pipelined), &pipeline_range, 0,
     "HTTP/1.1 requests read ahead of their responses"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef L

static void listen_init(void *conf)
{
    oe_listen_conf_t *c = conf;
    c->tls = true;
    c->max_connections = 10000;
    c->handshake_timeout = 10000;
    c->header_timeout = 10000;
    c->keepalive_timeout = 60000;
    c->send_timeout = 60000;
    c->body_timeout = 30000;
    c->max_header_size = 16384;
    c->max_url_size = 8192;
    c->max_body_size = 65536;
    c->max_buffered_body = 1 << 20;
    c->max_headers = 100;
    c->max_streams = 100;
    c->max_pipelined = 16;
}

static int listen_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    oe_listen_conf_t *c = conf;
    c->name = sec->name;
    c->line = sec->line;
    if (c->addresses.n == 0) {
        oe_conf_error_key(cf, sec, NULL, "needs at least one \"address = IP:port\"");
        return OE_ECONFIG;
    }
    if (c->redirect && c->tls) {
        oe_conf_error_key(cf, sec, "redirect", "only a plain HTTP listener (tls = no) redirects");
        return OE_ECONFIG;
    }
    return 0;
}

/* ---- [site "name"] ------------------------------------------------------------------------ */

typedef struct site_conf {
    oe_site_t site;
    const char *host;
    oe_strlist_t aliases;
    const char *cert_value;
    oe_strlist_t origin;
    oe_linelist_t header; /* header = Name: value */
    const char *hsts;
} site_conf_t;

static const oe_conf_enum_t access_log_formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};
#define S(f) offsetof(site_conf_t, f)
static const oe_directive_t site_directives[] = {
    {"host", oe_conf_set_string, S(host), NULL, 0, "the site's host name"},
    {"alias", oe_conf_set_strlist, S(aliases), NULL, OE_CONF_LIST, "more host names"},
    {"cert", oe_conf_set_string, S(cert_value), NULL, 0,
     "PEM certificate chain, \"auto\" for a generated demo CA and certificate, or \"acme\" "
     "for one from the [acme] server"},
    {"key", oe_conf_set_path, S(site.key), NULL, 0, "PEM private key (mode 0600)"},
    {"origin", oe_conf_set_strlist, S(origin), NULL, OE_CONF_LIST,
     "ORIGIN frame: auto (default), self, off, or a list of https:// origins"},
    {"root", oe_conf_set_path, S(site.root), NULL, 0, "document root for static files"},
    {"index", oe_conf_set_string, S(site.index), NULL, 0, "index file (default index.html)"},
    {"precompressed", oe_conf_set_bool, S(site.precompressed), NULL, 0,
     "serve FILE.br / FILE.gz when the client accepts them"},
    {"open-file-cache", oe_conf_set_bool, S(site.open_file_cache), NULL, 0,
     "keep served files open for up to 1 s per worker (default yes); no: open them per request"},
    {"access-log", oe_conf_set_string, S(site.access_log), NULL, 0,
     "stderr or a path; never records client addresses"},
    {"access-log-format", oe_conf_set_enum, S(site.access_log_format), access_log_formats, 0,
     "text (default) or json, one object a line"},
    {"backend", oe_conf_set_linelist, S(site.backends), NULL, OE_CONF_LIST,
     "reverse proxy: [PREFIX] http://IP:PORT or unix:/PATH (modules/rproxy)"},
    {"forward-client-address", oe_conf_set_bool, S(site.forward_client_address), NULL, 0,
     "send the client's address to backends (X-Forwarded-For, Forwarded); default no"},
    {"via", oe_conf_set_bool, S(site.via), NULL, 0, "add Via to proxied messages; default no"},
    {"backend-ca-file", oe_conf_set_path, S(site.backend_ca_file), NULL, 0,
     "https backends: PEM file of trusted CAs (default: the system bundle)"},
    {"backend-server-name", oe_conf_set_string, S(site.backend_server_name), NULL, 0,
     "https backends: the name sent as SNI and checked in the certificate (default: the URL's)"},
    {"backend-connect-timeout", oe_conf_set_duration, S(site.backend_connect_timeout),
     &timeout_range, 0, "time to connect to a backend (502 after)"},
    {"backend-timeout", oe_conf_set_duration, S(site.backend_timeout), &timeout_range, 0,
     "time from the end of a request to the backend's response head (504 after)"},
    {"backend-idle-timeout", oe_conf_set_duration, S(site.backend_idle_timeout), &timeout_range, 0,
     "time a proxied exchange may pass without a byte either way"},
    {"header", oe_conf_set_linelist, S(header), NULL, OE_CONF_LIST,
     "\"Name: value\" added to every response of the site (replacing the same name)"},
    {"hsts", oe_conf_set_string, S(hsts), NULL, 0,
     "Strict-Transport-Security max-age over HTTPS, e.g. 1y, 180d; off (default)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef S

static void site_init(void *conf)
{
    site_conf_t *c = conf;
    c->site.index = "index.html";
    c->site.open_file_cache = true;
    c->site.backend_connect_timeout = 5000;
    c->site.backend_timeout = 60000;
    c->site.backend_idle_timeout = 60000;
}

/* Fields the server itself writes, or that describe the connection: not a policy's to set. */
static bool reserved_header(const char *name)
{
    static const char *const names[] = {"content-length", "transfer-encoding",
                                        "connection",     "keep-alive",
                                        "upgrade",        "te",
                                        "trailer",        "date",
                                        "server"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(names); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* header = Name: value (a field name token, RFC 9110 §5.1; a value without control bytes). */
static int site_headers_check(oe_conf_t *cf, oe_conf_section_t *sec, site_conf_t *c)
{
    oe_site_t *s = &c->site;
    int rc = 0;
    size_t n = c->header.values.n;
    s->add_names = oe_conf_alloc(cf, (n + 1) * sizeof(*s->add_names));
    s->add_values = oe_conf_alloc(cf, (n + 1) * sizeof(*s->add_values));
    for (size_t i = 0; i < n; i++) {
        const char *v = c->header.values.v[i];
        unsigned line = c->header.lines[i];
        const char *colon = strchr(v, ':');
        size_t nl = colon != NULL ? (size_t)(colon - v) : 0;
        bool ok = nl > 0;
        for (size_t k = 0; ok && k < nl; k++)
            ok = strchr("!#$%&'*+-.^_`|~", v[k]) != NULL || (v[k] >= '0' && v[k] <= '9') ||
                 ((v[k] | 0x20) >= 'a' && (v[k] | 0x20) <= 'z');
        if (!ok) {
            oe_conf_error_line(cf, sec, "header", line, "\"%s\" is not \"Name: value\"", v);
            rc = OE_ECONFIG;
            continue;
        }
        const char *val = colon + 1;
        while (*val == ' ' || *val == '\t')
            val++;
        for (const char *q = val; *q != '\0'; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t') {
                oe_conf_error_line(cf, sec, "header", line, "the value has a control character");
                rc = OE_ECONFIG;
                break;
            }
        char *name = oe_conf_alloc(cf, nl + 1);
        memcpy(name, v, nl);
        name[nl] = '\0';
        oe_ascii_lower(name);
        if (reserved_header(name)) {
            oe_conf_error_line(cf, sec, "header", line, "%s is set by the server itself", name);
            rc = OE_ECONFIG;
            continue;
        }
        s->add_names[s->nadd] = name;
        s->add_values[s->nadd++] = oe_conf_strdup(cf, val);
    }
    if (c->hsts != NULL && strcmp(c->hsts, "off") != 0) {
        /* A duration (oe_parse_duration's units) or years: "1y", "2y". */
        uint64_t ms = 0;
        size_t len = strlen(c->hsts);
        char *end = NULL;
        if (len > 1 && c->hsts[len - 1] == 'y') {
            unsigned long long y = strtoull(c->hsts, &end, 10);
            if (end == c->hsts + len - 1 && y > 0 && y <= 10)
                ms = y * 365ull * 86400000ull;
        } else if (oe_parse_duration(c->hsts, &ms) < 0) {
            ms = 0;
        }
        if (ms < 1000 || ms > 10 * 365ull * 86400000ull) {
            oe_conf_error_key(cf, sec, "hsts",
                              "\"%s\" is not a max-age (off, or 1s to 10y: 1y, 180d, ...)",
                              c->hsts);
            rc = OE_ECONFIG;
        }
        s->hsts = ms / 1000;
    }
    return rc;
}

/* A DNS host name (oe_host_name_valid: RFC 1123 labels), or a wildcard "*.example.test" that
 * serves every name one label below (the certificate must cover it, e.g. an ACME one through
 * dns-01); lower-cased in place. */
static bool valid_host(char *h)
{
    oe_ascii_lower(h);
    return oe_host_name_valid(OE_SLICE_STR(h), true);
}

static int site_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    site_conf_t *c = conf;
    oe_site_t *s = &c->site;
    int rc = 0;
    s->name = sec->name;
    s->line = sec->line;
    s->stat_id = sec->name != NULL ? oe_stat_site_id(sec->name) : 0;
    if (c->host == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"host = NAME\"");
        return OE_ECONFIG;
    }
    const char **hosts = oe_conf_alloc(cf, (c->aliases.n + 1) * sizeof(*hosts));
    hosts[0] = oe_conf_strdup(cf, c->host);
    for (size_t i = 0; i < c->aliases.n; i++)
        hosts[i + 1] = oe_conf_strdup(cf, c->aliases.v[i]);
    s->hosts.v = hosts;
    s->hosts.n = c->aliases.n + 1;
    for (size_t i = 0; i < s->hosts.n; i++) {
        if (!valid_host((char *)hosts[i])) {
            oe_conf_error_key(cf, sec, i == 0 ? "host" : "alias", "\"%s\" is not a host name",
                              hosts[i]);
            rc = OE_ECONFIG;
        }
    }
    if (c->cert_value != NULL &&
        (strcmp(c->cert_value, "auto") == 0 || strcmp(c->cert_value, "acme") == 0)) {
        s->cert_auto = true;
        s->cert_acme = strcmp(c->cert_value, "acme") == 0;
        if (s->key != NULL) {
            oe_conf_error_key(cf, sec, "key", "cert = %s generates its own key; remove key",
                              c->cert_value);
            rc = OE_ECONFIG;
        }
        const oe_module_t *acme = oe_module_by_name("acme");
        if (s->cert_acme && acme == NULL) {
            oe_conf_error_key(cf, sec, "cert", "the acme module is not compiled in");
            rc = OE_ECONFIG;
        } else if (s->cert_acme && oe_conf_get(cf, acme) == NULL) {
            oe_conf_error_key(cf, sec, "cert",
                              "cert = acme needs an [acme] section (with agree-tos = yes)");
            rc = OE_ECONFIG;
        }
    } else if (c->cert_value != NULL) {
        s->cert = oe_conf_resolve_path(cf, c->cert_value);
        if (s->key == NULL) {
            oe_conf_error_key(cf, sec, "cert", "a certificate needs \"key = FILE\" too");
            rc = OE_ECONFIG;
        }
    } else if (s->key != NULL) {
        oe_conf_error_key(cf, sec, "key", "a key needs \"cert = FILE\" too");
        rc = OE_ECONFIG;
    }
    s->origin_mode = OE_ORIGIN_AUTO;
    if (c->origin.n == 1 && strcmp(c->origin.v[0], "auto") == 0)
        s->origin_mode = OE_ORIGIN_AUTO;
    else if (c->origin.n == 1 && strcmp(c->origin.v[0], "self") == 0)
        s->origin_mode = OE_ORIGIN_SELF;
    else if (c->origin.n == 1 && strcmp(c->origin.v[0], "off") == 0)
        s->origin_mode = OE_ORIGIN_OFF;
    else if (c->origin.n > 0) {
        s->origin_mode = OE_ORIGIN_LIST;
        s->origins = c->origin;
        for (size_t i = 0; i < c->origin.n; i++) {
            const char *o = c->origin.v[i];
            if (strcmp(o, "auto") == 0 || strcmp(o, "self") == 0 || strcmp(o, "off") == 0) {
                oe_conf_error_key(cf, sec, "origin", "\"%s\" cannot be combined with other entries",
                                  o);
                rc = OE_ECONFIG;
            } else if (strncmp(o, "https://", 8) != 0) {
                oe_conf_error_key(cf, sec, "origin", "\"%s\" is not an https:// origin", o);
                rc = OE_ECONFIG;
            }
        }
    }
    if (s->root != NULL && oe_module_by_name("website") == NULL) {
        oe_conf_error_key(cf, sec, "root",
                          "static files need the website module, which is not compiled in");
        rc = OE_ECONFIG;
    }
    if (s->backends.values.n > 0 && oe_module_by_name("rproxy") == NULL) {
        oe_conf_error_key(cf, sec, "backend",
                          "backends need the rproxy module, which is not compiled in");
        rc = OE_ECONFIG;
    }
    if (site_headers_check(cf, sec, c) < 0)
        rc = OE_ECONFIG;
    return rc;
}

static bool same_origin_setting(const oe_site_t *a, const oe_site_t *b)
{
    if (a->origin_mode != b->origin_mode || a->origins.n != b->origins.n)
        return false;
    for (size_t i = 0; i < a->origins.n; i++)
        if (strcmp(a->origins.v[i], b->origins.v[i]) != 0)
            return false;
    return true;
}

/* Does msg start with "PATH:"? */
static bool names_file(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return msg != NULL && strncmp(msg, path, n) == 0 && msg[n] == ':';
}

/* Loads every certificate once (so `check` catches unreadable or mismatched files and keys
 * readable by others) and checks the origin settings against what each certificate covers. */
static int check_certs_and_origins(oe_conf_t *cf)
{
    extern const oe_module_t oe_site_module;
    size_t n = oe_conf_count(cf, &oe_site_module);
    const oe_site_t **sites = oe_calloc(n ? n : 1, sizeof(*sites));
    for (size_t i = 0; i < n; i++)
        sites[i] = oe_http_site(cf, i);
    char *err = NULL;
    oe_tls_server_t *tls = oe_tls_server_new(NULL, &err);
    int rc = 0;
    if (tls == NULL) {
        oe_conf_error_key(cf, oe_conf_section(cf, &oe_site_module, 0), NULL, "TLS: %s",
                          err ? err : "cannot create a TLS context");
        free(err);
        free(sites);
        return OE_ECONFIG;
    }
    for (size_t i = 0; i < n; i++) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_site_module, i);
        const oe_site_t *s = sites[i];
        const oe_tls_cert_t *cert = NULL;
        size_t k;
        for (k = 0; k < i && !oe_http__same_cert(sites[k], s); k++)
            ;
        if (k < i && !same_origin_setting(sites[k], s)) {
            oe_conf_error_key(cf, sec, "origin",
                              "shares its certificate with [site \"%s\"], whose origin setting "
                              "differs (the ORIGIN frame belongs to the certificate)",
                              sites[k]->name);
            rc = OE_ECONFIG;
            continue;
        }
        if (!s->cert_auto && s->cert != NULL) {
            oe_tls_cert_t *c = NULL;
            if (oe_tls_server_add_cert(tls, s->cert, s->key, &c, &err) < 0) {
                /* The message starts with the file at fault: point at the line that names it. */
                oe_conf_error_key(cf, sec, names_file(err, s->key) ? "key" : "cert", "%s",
                                  err ? err : "cannot load");
                free(err);
                err = NULL;
                rc = OE_ECONFIG;
                continue;
            }
            cert = c;
            /* A name the certificate does not cover would get 421 for every request. */
            for (size_t h = 0; h < s->hosts.n; h++) {
                if (oe_tls_cert_covers(c, OE_SLICE_STR(s->hosts.v[h])))
                    continue;
                oe_conf_error_key(cf, sec, h == 0 ? "host" : "alias",
                                  "\"%s\" is not covered by the certificate %s", s->hosts.v[h],
                                  s->cert);
                rc = OE_ECONFIG;
            }
        }
        if (oe_http__origins_check(cf, sec, s, sites, n, cert) < 0)
            rc = OE_ECONFIG;
    }
    oe_tls_server_free(tls);
    free(sites);
    return rc;
}

/* Each address once: two sockets on overlapping addresses (the same one, or a wildcard and a
 * specific address on the same port) would split connections between them. */
static int check_addresses(oe_conf_t *cf)
{
    int rc = 0;
    size_t nlisten = oe_conf_count(cf, &oe_http_module);
    for (size_t i = 0; i < nlisten; i++) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_http_module, i);
        const oe_addrlist_t *al = &((oe_listen_conf_t *)sec->conf)->addresses;
        for (size_t a = 0; a < al->n; a++) {
            bool reported = false;
            for (size_t j = 0; j <= i && !reported; j++) {
                oe_conf_section_t *other = oe_conf_section(cf, &oe_http_module, j);
                const oe_addrlist_t *bl = &((oe_listen_conf_t *)other->conf)->addresses;
                for (size_t b = 0; b < (j == i ? a : bl->n) && !reported; b++) {
                    if (!oe_http__addr_overlap(&al->v[a], &bl->v[b]))
                        continue;
                    char where[256] = "";
                    if (j != i)
                        snprintf(where, sizeof(where), " in [listen \"%s\"]", other->name);
                    if (al->v[a].len == bl->v[b].len &&
                        memcmp(&al->v[a].ss, &bl->v[b].ss, al->v[a].len) == 0)
                        oe_conf_error_line(cf, sec, "address", al->v[a].line,
                                           "%s is listed twice (first on line %u%s)", al->v[a].text,
                                           bl->v[b].line, where);
                    else
                        oe_conf_error_line(cf, sec, "address", al->v[a].line,
                                           "%s overlaps %s (line %u%s): the same port, and one "
                                           "of them is the wildcard address",
                                           al->v[a].text, bl->v[b].text, bl->v[b].line, where);
                    reported = true;
                    rc = OE_ECONFIG;
                }
            }
        }
    }
    return rc;
}

/* Checks across sections: unique host names and addresses, listeners and sites that need each
 * other. */
static int http_finish(oe_conf_t *cf)
{
    extern const oe_module_t oe_site_module;
    size_t nsites = oe_conf_count(cf, &oe_site_module);
    size_t nlisten = oe_conf_count(cf, &oe_http_module);
    bool any_tls = false;
    int rc = 0;
    for (size_t i = 0; i < nlisten; i++)
        any_tls |= ((oe_listen_conf_t *)oe_conf_section(cf, &oe_http_module, i)->conf)->tls;
    for (size_t i = 0; i < nlisten && !any_tls; i++) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_http_module, i);
        const oe_listen_conf_t *l = sec->conf;
        if (l->redirect && l->https_port == 0) {
            oe_conf_error_key(cf, sec, "redirect",
                              "no TLS listener to redirect to: add one, or set https-port");
            rc = OE_ECONFIG;
        }
    }
    if (nsites > 0 && nlisten == 0) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_site_module, 0);
        oe_conf_error_key(cf, sec, NULL, "sites need a [listen \"NAME\"] section to serve them");
        return OE_ECONFIG;
    }
    for (size_t i = 0; i < nsites; i++) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_site_module, i);
        site_conf_t *a = sec->conf;
        if (any_tls && a->site.cert == NULL && !a->site.cert_auto) {
            oe_conf_error_key(cf, sec, NULL,
                              "needs \"cert = FILE\" and \"key = FILE\" (or cert = auto) for "
                              "the TLS listener");
            rc = OE_ECONFIG;
        }
        for (size_t h = 0; h < a->site.hosts.n; h++) {
            for (size_t j = 0; j < i; j++) {
                site_conf_t *b = oe_conf_section(cf, &oe_site_module, j)->conf;
                for (size_t k = 0; k < b->site.hosts.n; k++) {
                    if (strcmp(a->site.hosts.v[h], b->site.hosts.v[k]) == 0) {
                        oe_conf_error_key(cf, sec, h == 0 ? "host" : "alias",
                                          "\"%s\" is already served by [site \"%s\"]",
                                          a->site.hosts.v[h], b->site.name);
                        rc = OE_ECONFIG;
                    }
                }
            }
        }
    }
    if (check_addresses(cf) < 0)
        rc = OE_ECONFIG;
    if (rc == 0 && any_tls)
        rc = check_certs_and_origins(cf);
    if (nlisten > 0 && nsites == 0 && any_tls) {
        oe_conf_section_t *sec = oe_conf_section(cf, &oe_http_module, 0);
        oe_conf_error_key(cf, sec, NULL, "a TLS listener needs at least one [site \"NAME\"]");
        rc = OE_ECONFIG;
    }
    return rc;
}

size_t oe_http_site_count(const oe_conf_t *cf)
{
    extern const oe_module_t oe_site_module;
    return oe_conf_count(cf, &oe_site_module);
}

const oe_site_t *oe_http_site(const oe_conf_t *cf, size_t i)
{
    extern const oe_module_t oe_site_module;
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_site_module, i);
    return sec != NULL ? &((site_conf_t *)sec->conf)->site : NULL;
}

oe_conf_section_t *oe_http_site_section(const oe_conf_t *cf, size_t i)
{
    extern const oe_module_t oe_site_module;
    return oe_conf_section(cf, &oe_site_module, i);
}

const oe_site_t *oe_http_site_by_name(const oe_conf_t *cf, const char *name)
{
    for (size_t i = 0; i < oe_http_site_count(cf); i++)
        if (strcmp(oe_http_site(cf, i)->name, name) == 0)
            return oe_http_site(cf, i);
    return NULL;
}

const oe_site_t *oe_http_conf_site(oe_conf_t *cf, oe_conf_section_t *sec, const char *name)
{
    const oe_site_t *s = oe_http_site_by_name(cf, name);
    if (s == NULL)
        oe_conf_error_key(cf, sec, "site", "no [site \"%s\"] is configured", name);
    return s;
}

static const oe_command_t commands[] = {
    {"origins", "origins [-c FILE]",
     "print the ORIGIN set each certificate advertises, per listener", oe_http__origins_command},
    {NULL, NULL, NULL, NULL},
};

const oe_module_t oe_http_module = {
    .name = "http",
    .section = "listen",
    .flags = OE_MODULE_NAMED,
    .conf_size = sizeof(oe_listen_conf_t),
    .directives = listen_directives,
    .summary = "listening addresses with TLS and HTTP limits",
    .commands = commands,
    .conf_init = listen_init,
    .conf_check = listen_check,
    .conf_finish = http_finish,
    .init = oe_http__init,
    .start = oe_http__start,
    .stop = oe_http__stop,
    .stopped = oe_http__stopped,
    .destroy = oe_http__destroy,
};

const oe_module_t oe_site_module = {
    .name = "http",
    .section = "site",
    .flags = OE_MODULE_NAMED,
    .conf_size = sizeof(site_conf_t),
    .directives = site_directives,
    .summary = "a virtual host: names, certificate, ORIGIN set, static files",
    .conf_init = site_init,
    .conf_check = site_check,
};
