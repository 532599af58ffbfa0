/*
 * `odoh-edge query`: an ODoH (and DoH) client for people and benchmarks.
 *
 *   odoh-edge query NAME [TYPE] --target URL [--proxy URL] [--ca FILE] [--insecure] [--doh]
 *                   [--configs FILE|HEX] [--resolve HOST:PORT:IP] [--count N --concurrency C]
 *   odoh-edge query NAME [TYPE] --target DOH-URL --ohttp RELAY-URL --ohttp-keys URL ...
 *
 * It gets the target's ObliviousDoHConfigs from https://TARGET/.well-known/odohconfigs (unless
 * --configs gives them), seals the query to the first usable config, posts it to the proxy (or
 * straight to the target), opens the answer and prints it like dig. On 401 it fetches the configs
 * once more and retries. Host names are looked up (A, then AAAA when there is no A) through
 * --dns or the first nameserver of /etc/resolv.conf (no getaddrinfo in a static binary), or
 * taken from --resolve (curl's HOST:PORT:ADDRESS, IPv6 in brackets or not).
 *
 * With --ohttp (RFC 9458) the DNS query becomes a Binary HTTP POST to the DoH URL --target,
 * sealed to the first usable key configuration from --ohttp-keys (the RFC 9458 list or a single
 * configuration) and posted to the relay; a 400 "ohttp-key" problem fetches the keys once more.
 *
 * Exit codes: 0 answered (whatever the DNS rcode) or --help, 1 the query failed (HTTP or
 * network error, undecryptable answer), 64 usage, 78 configs unusable.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/net.h"
#include "dns/dns_svcb.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "dns/upstream.h"
#include "http/client.h"
#include "odoh/odoh.h"
#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"
#include "tls/tls.h"
#include "crypto/encode.h"

#define MEDIA_ODOH "application/oblivious-dns-message"
#define MEDIA_DNS  "application/dns-message"

typedef struct url {
    char host[256];
    unsigned port;
    char path[1024];
    struct sockaddr_storage addr;
    bool resolved;
} url_t;

typedef struct fixed {
    char host[256];
    unsigned port;
    char ip[INET6_ADDRSTRLEN]; /* checked to be an IPv4 or IPv6 literal, without brackets */
} fixed_t;

typedef struct opts {
    const char *name;
    uint16_t type;
    url_t target, proxy; /* with ohttp, proxy is the relay */
    url_t keys;          /* with ohttp: where the key configurations are */
    bool use_proxy, doh, insecure, quiet, ohttp;
    const char *ca, *configs;
    oe_sockaddr_t dns_server;
    bool has_dns_server;
    fixed_t fixed[8];
    size_t nfixed;
    long count, concurrency;
} opts_t;

typedef struct ctx {
    opts_t *o;
    uv_loop_t loop;
    oe_tls_client_t *tls;
    oe_http_client_t *http;
    oe_upstream_t *dns;
    oe_sockaddr_t ns;
    oe_odoh_config_t configs[8];
    int nconfigs;
    oe_ohttp_config_t ocfg; /* with --ohttp, the key configuration sealed to */
    /* On 401 the configs are fetched again (RFC 9230 §4.3), as often as the target rotates:
     * gen counts the fetches; queries answered 401 wait in `waiting` while one is under way,
     * and each query is re-sealed at most once. */
    unsigned gen;
    bool refreshing;
    struct q *waiting;
    /* load mode */
    long started, finished, failed;
    double *lat;
    int exit_code;
    uint64_t t0;
} ctx_t;

typedef struct q {
    ctx_t *x;
    uint8_t dns[512];
    size_t dns_len;
    uint8_t sealed[1024];
    size_t sealed_len;
    oe_odoh_txn_t txn;
    oe_ohttp_txn_t otxn;
    uint64_t t0;
    bool retried;
    unsigned gen; /* the configs generation it was sealed to */
    struct q *next;
} q_t;

static void start_query(ctx_t *x);
static void send_query(q_t *q);
static int seal_query(q_t *q);
static void configs_ready(ctx_t *x);

/* ---- arguments ----------------------------------------------------------------------------- */

static int parse_url(const char *s, url_t *u)
{
    if (strncmp(s, "https://", 8) != 0)
        return -1;
    s += 8;
    const char *slash = strchr(s, '/');
    const char *hp_end = slash ? slash : s + strlen(s);
    snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
    u->port = 443;
    const char *colon = memchr(s, ':', (size_t)(hp_end - s));
    size_t hl = (size_t)((colon ? colon : hp_end) - s);
    if (hl == 0 || hl >= sizeof(u->host))
        return -1;
    memcpy(u->host, s, hl);
    u->host[hl] = '\0';
    if (colon != NULL) {
        u->port = (unsigned)atoi(colon + 1);
        if (u->port == 0 || u->port > 65535)
            return -1;
    }
    return 0;
}

static int usage(FILE *out)
{
    fprintf(out,
            "usage: odoh-edge query NAME [TYPE] --target URL [--proxy URL] [--ca FILE]\n"
            "                       [--insecure] [--doh] [--configs FILE|HEX]\n"
            "                       [--resolve HOST:PORT:IP] [--count N --concurrency C]\n"
            "  --target URL    the ODoH target, e.g. https://target.example/dns-query\n"
            "  --proxy URL     relay through this proxy, e.g. https://proxy.example/proxy\n"
            "  --configs X     ObliviousDoHConfigs as hex or a file, instead of fetching\n"
            "                  TARGET/.well-known/odohconfigs (that fetch shows your address to\n"
            "                  the target, once per key period); \"dns\" reads them from the\n"
            "                  target's HTTPS record (key 32769) through the resolver\n"
            "  --dns IP:PORT   the resolver for names and --configs dns (default: the first\n"
            "                  nameserver of /etc/resolv.conf)\n"
            "  --doh           plain DoH to the target instead (no proxy)\n"
            "  --ohttp URL     Oblivious HTTP (RFC 9458) through this relay (or straight to a\n"
            "                  gateway); --target is then the DoH URL the gateway answers\n"
            "  --ohttp-keys URL  the gateway's key configurations (application/ohttp-keys)\n"
            "  --resolve H:P:IP  connect to IP for H:P (no DNS lookup); IPv6 as [::1] or ::1\n"
            "  --count N --concurrency C   load mode: N queries, C in flight; prints rates\n"
            "  -h, --help      this text\n");
    return OE_EXIT_USAGE;
}

/* --resolve HOST:PORT:ADDR, as curl writes it: ADDR is an IPv4 literal or an IPv6 literal, in
 * brackets or not. Anything else is a usage error (never a silent fall-back to DNS). */
static int parse_resolve(const char *v, fixed_t *f)
{
    const char *c1 = strchr(v, ':');
    const char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
    if (c1 == NULL || c2 == NULL || c1 == v || (size_t)(c1 - v) >= sizeof(f->host)) {
        fprintf(stderr, "query: --resolve wants HOST:PORT:ADDRESS, not \"%s\"\n", v);
        return -1;
    }
    memcpy(f->host, v, (size_t)(c1 - v));
    f->host[c1 - v] = '\0';
    char *end;
    unsigned long port = strtoul(c1 + 1, &end, 10);
    if (end != c2 || c1[1] < '0' || c1[1] > '9' || port == 0 || port > 65535) {
        fprintf(stderr, "query: --resolve %s: the port must be 1 to 65535\n", v);
        return -1;
    }
    f->port = (unsigned)port;
    const char *a = c2 + 1;
    size_t al = strlen(a);
    if (al >= 2 && a[0] == '[' && a[al - 1] == ']')
        a++, al -= 2;
    struct in6_addr tmp;
    if (al == 0 || al >= sizeof(f->ip)) {
        fprintf(stderr, "query: --resolve %s: \"%s\" is not an IP address\n", v, c2 + 1);
        return -1;
    }
    memcpy(f->ip, a, al);
    f->ip[al] = '\0';
    if (inet_pton(AF_INET, f->ip, &tmp) != 1 && inet_pton(AF_INET6, f->ip, &tmp) != 1) {
        fprintf(stderr, "query: --resolve %s: \"%s\" is not an IP address\n", v, c2 + 1);
        return -1;
    }
    return 0;
}

/* 0, or -1 (a usage error, explained on stderr unless it is the usage itself), or 1: --help. */
static int parse_args(int argc, char **argv, opts_t *o)
{
    o->type = 1;
    o->count = 0;
    o->concurrency = 1;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--target") == 0 && v) {
            if (parse_url(v, &o->target) < 0)
                return fprintf(stderr, "query: bad --target URL %s\n", v), -1;
            i++;
        } else if (strcmp(a, "--proxy") == 0 && v) {
            if (parse_url(v, &o->proxy) < 0)
                return fprintf(stderr, "query: bad --proxy URL %s\n", v), -1;
            o->use_proxy = true;
            i++;
        } else if (strcmp(a, "--ohttp") == 0 && v) {
            if (parse_url(v, &o->proxy) < 0)
                return fprintf(stderr, "query: bad --ohttp URL %s\n", v), -1;
            o->ohttp = true;
            i++;
        } else if (strcmp(a, "--ohttp-keys") == 0 && v) {
            if (parse_url(v, &o->keys) < 0)
                return fprintf(stderr, "query: bad --ohttp-keys URL %s\n", v), -1;
            i++;
        } else if (strcmp(a, "--ca") == 0 && v) {
            o->ca = argv[++i];
        } else if (strcmp(a, "--configs") == 0 && v) {
            o->configs = argv[++i];
        } else if (strcmp(a, "--resolve") == 0 && v) {
            if (o->nfixed == OE_ARRAY_SIZE(o->fixed))
                return fprintf(stderr, "query: at most %zu --resolve\n", o->nfixed), -1;
            if (parse_resolve(v, &o->fixed[o->nfixed]) < 0)
                return -1;
            o->nfixed++;
            i++;
        } else if (strcmp(a, "--dns") == 0 && v) {
            if (oe_parse_addr(v, &o->dns_server) < 0)
                return fprintf(stderr, "query: --dns wants IP:port\n"), -1;
            o->dns_server.text = v;
            o->has_dns_server = true;
            i++;
        } else if (strcmp(a, "--count") == 0 && v) {
            o->count = atol(argv[++i]);
        } else if (strcmp(a, "--concurrency") == 0 && v) {
            o->concurrency = atol(argv[++i]);
        } else if (strcmp(a, "--insecure") == 0) {
            o->insecure = true;
        } else if (strcmp(a, "--doh") == 0) {
            o->doh = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            return 1;
        } else if (a[0] == '-') {
            return fprintf(stderr, "query: unknown option %s\n", a), -1;
        } else if (pos == 0) {
            o->name = a, pos++;
        } else if (pos == 1) {
            if (oe_dns_type_from_text(a, &o->type) < 0)
                return fprintf(stderr, "query: unknown type %s\n", a), -1;
            pos++;
        } else {
            return -1;
        }
    }
    if (o->name == NULL || o->target.host[0] == '\0' || o->concurrency < 1 ||
        (o->doh && o->use_proxy) ||
        (o->ohttp && (o->doh || o->use_proxy || o->configs || o->keys.host[0] == '\0')))
        return -1;
    return 0;
}

/* ---- addresses ---------------------------------------------------------------------------------
 */

static bool set_literal(url_t *u, const char *ip)
{
    if (!oe_sockaddr_from_ip(ip, (uint16_t)u->port, &u->addr))
        return false;
    u->resolved = true;
    return true;
}

typedef struct lookup {
    oe_upstream_lookup_t l; /* first: the callback's data is the lookup itself */
    ctx_t *x;
    url_t *u;
    void (*then)(ctx_t *x);
} lookup_t;

static void lookup_failed(lookup_t *l, int status)
{
    fprintf(stderr, "query: cannot resolve %s through %s: %s\n", l->u->host, l->x->ns.text,
            status == OE_UPSTREAM_ENOADDR ? "the name has no IPv4 or IPv6 address"
                                          : oe_strerror(status));
    l->x->exit_code = 1;
    uv_stop(&l->x->loop);
    free(l);
}

/* The answer to the AAAA question (RFC 3596): its first IPv6 address. */
static void on_aaaa(void *data, int status, oe_slice_t answer)
{
    lookup_t *l = data;
    oe_slice_t a;
    if (status == 0 && oe_dns_first_answer(answer, 28, 16, &a) == 1) {
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, a.base, ip, sizeof(ip));
        set_literal(l->u, ip);
        l->then(l->x);
        free(l);
        return;
    }
    lookup_failed(l, status == 0 ? OE_UPSTREAM_ENOADDR : status);
}

/* The A answer; a name without an IPv4 address is asked for an IPv6 one. */
static void on_addr(void *data, int status, const struct sockaddr_in *addr)
{
    lookup_t *l = data;
    if (status == 0) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof(ip));
        set_literal(l->u, ip);
        l->then(l->x);
        free(l);
        return;
    }
    uint8_t name[OE_DNS_NAME_MAX], q[OE_DNS_NAME_MAX + 64];
    size_t qlen;
    int nl = oe_dns_name_from_text(l->u->host, strlen(l->u->host), name);
    oe_dns_query_opts_t qo = {.flags = 0x0100}; /* RD */
    int err;
    if (status == OE_UPSTREAM_ENOADDR && nl >= 0 &&
        oe_dns_build_query(q, sizeof(q), &qlen, 0, oe_dns_name_wire(name, (size_t)nl), 28, &qo) ==
            0 &&
        oe_upstream_query(l->x->dns, OE_SLICE(q, qlen), on_aaaa, l, &err) != NULL)
        return;
    lookup_failed(l, status);
}

/* Resolves u (literal, --resolve, or DNS), then calls then(x). */
static void resolve(ctx_t *x, url_t *u, void (*then)(ctx_t *x))
{
    if (u->resolved || set_literal(u, u->host)) {
        then(x);
        return;
    }
    for (size_t i = 0; i < x->o->nfixed; i++)
        if (strcmp(x->o->fixed[i].host, u->host) == 0 && x->o->fixed[i].port == u->port &&
            set_literal(u, x->o->fixed[i].ip)) {
            then(x);
            return;
        }
    lookup_t *l = oe_calloc(1, sizeof(*l));
    *l = (lookup_t){.l = {on_addr, l}, .x = x, .u = u, .then = then};
    int err;
    if (x->dns == NULL || oe_upstream_lookup(x->dns, u->host, &l->l, &err) == NULL) {
        fprintf(stderr, "query: cannot resolve %s (use --resolve HOST:PORT:IP)\n", u->host);
        free(l);
        x->exit_code = 1;
        uv_stop(&x->loop);
    }
}

/* ---- output ------------------------------------------------------------------------------------
 */

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

static void print_answer(ctx_t *x, oe_slice_t dns, double ms)
{
    oe_dns_msg_t m;
    if (oe_dns_msg_parse(&m, dns) < 0) {
        fprintf(stderr, "query: the answer is not a valid DNS message\n");
        x->exit_code = 1;
        return;
    }
    oe_buf_t b = {0};
    oe_buf_printf(&b, ";; ->>HEADER<<- opcode: QUERY, status: %s, id: %u\n",
                  oe_dns_rcode_name(m.rcode), m.hdr.id);
    oe_buf_printf(&b, ";; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n", m.hdr.count[0],
                  m.hdr.count[1], m.hdr.count[2], m.hdr.count[3]);
    static const char *const names[] = {"ANSWER", "AUTHORITY", "ADDITIONAL"};
    for (int s = 0; s < 3; s++) {
        oe_dns_iter_t it;
        oe_dns_rr_t rr;
        bool first = true;
        oe_dns_iter_init(&it, &m, (oe_dns_section_t)(s + 1));
        while (oe_dns_iter_next(&it, &rr) == 1) {
            if (rr.type == 41)
                continue; /* OPT */
            if (first)
                oe_buf_printf(&b, "\n;; %s SECTION:\n", names[s]);
            first = false;
            oe_dns_rr_print(&b, &rr);
            oe_buf_append(&b, "\n", 1);
        }
    }
    oe_buf_printf(&b, "\n;; Query time: %.1f ms (%s%s%s%s)\n", ms,
                  x->o->ohttp ? "OHTTP to "
                  : x->o->doh ? "DoH to "
                              : "ODoH to ",
                  x->o->target.host, x->o->use_proxy || x->o->ohttp ? " via " : "",
                  x->o->ohttp       ? x->o->proxy.host
                  : x->o->use_proxy ? "proxy"
                                    : "");
    fwrite(b.base, 1, b.len, stdout);
    oe_buf_free(&b);
}

/* ---- configs -----------------------------------------------------------------------------------
 */

static int set_configs(ctx_t *x, const uint8_t *p, size_t n)
{
    int rc = oe_odoh_configs_decode(p, n, x->configs, OE_ARRAY_SIZE(x->configs));
    if (rc <= 0) {
        fprintf(stderr, "query: no usable ObliviousDoHConfig (%s)\n",
                rc < 0 ? oe_strerror(rc) : "none with a supported suite");
        return -1;
    }
    x->nconfigs = rc;
    return 0;
}

static int load_configs_arg(ctx_t *x, const char *arg)
{
    uint8_t buf[4096];
    int n = oe_hex_decode(buf, sizeof(buf), arg, strlen(arg));
    if (n < 0) {
        FILE *f = fopen(arg, "rb");
        if (f == NULL) {
            fprintf(stderr, "query: --configs: neither hex nor a readable file: %s\n", arg);
            return -1;
        }
        n = (int)fread(buf, 1, sizeof(buf), f);
        fclose(f);
    }
    return set_configs(x, buf, (size_t)n);
}

/* application/ohttp-keys: the RFC 9458 list, or one configuration alone (Firefox's form). */
static int set_ohttp_configs(ctx_t *x, const uint8_t *p, size_t n)
{
    int rc = oe_ohttp_configs_decode(p, n, &x->ocfg, 1);
    if (rc <= 0 && oe_ohttp_config_decode(&x->ocfg, p, n) == 0)
        rc = 1;
    if (rc <= 0) {
        fprintf(stderr, "query: no usable OHTTP key configuration (%s)\n",
                rc < 0 ? oe_strerror(rc) : "none with a supported suite");
        return -1;
    }
    return 0;
}

static void on_configs(void *data, int status, const oe_header_t *h, size_t nh, oe_slice_t body)
{
    ctx_t *x = data;
    int rc = status != 200 ? -1
             : x->o->ohttp ? set_ohttp_configs(x, body.base, body.len)
                           : set_configs(x, body.base, body.len);
    if (rc < 0) {
        if (status != 200)
            fprintf(stderr, "query: GET %s: %s\n",
                    x->o->ohttp ? x->o->keys.path : "/.well-known/odohconfigs",
                    status > 0 ? "unexpected status" : oe_strerror(status));
        x->exit_code = status == 200 ? OE_EXIT_CONFIG : 1;
        uv_stop(&x->loop);
        return;
    }
    configs_ready(x);
}

/* --configs dns: the target's HTTPS record, SvcParamKey 32769 (the ODoH drafts' "odohconfig"),
 * whose value is the ObliviousDoHConfigs with its length prefix. */
static void on_https_record(void *data, int status, oe_slice_t answer)
{
    ctx_t *x = data;
    oe_dns_msg_t m;
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    if (status == 0 && oe_dns_msg_parse(&m, answer) == 0) {
        oe_dns_iter_init(&it, &m, OE_DNS_SEC_ANSWER);
        while (oe_dns_iter_next(&it, &rr) == 1) {
            oe_dns_svcb_t sv;
            oe_slice_t v;
            if (rr.type == OE_DNS_T_HTTPS && oe_dns_svcb_parse(rr.rdata, &sv) == 0 &&
                oe_dns_svcb_param_get(&sv, OE_SVCB_ODOHCONFIG, &v) == 1 &&
                set_configs(x, v.base, v.len) == 0) {
                if (!x->o->quiet)
                    fprintf(stderr, ";; configs from the HTTPS record of %s\n", x->o->target.host);
                configs_ready(x);
                return;
            }
        }
    }
    fprintf(stderr, "query: no HTTPS record with key32769 for %s (%s)\n", x->o->target.host,
            status < 0 ? oe_strerror(status) : "none in the answer");
    x->exit_code = OE_EXIT_CONFIG;
    uv_stop(&x->loop);
}

static void fetch_configs_dns(ctx_t *x)
{
    uint8_t name[OE_DNS_NAME_MAX], q[300];
    size_t qlen;
    int err;
    int nl = oe_dns_name_from_text(x->o->target.host, strlen(x->o->target.host), name);
    oe_dns_query_opts_t qo = {.flags = 0x0100, .udp_size = 1232};
    if (x->dns == NULL || nl < 0 ||
        oe_dns_build_query(q, sizeof(q), &qlen, 1, oe_dns_name_wire(name, (size_t)nl),
                           OE_DNS_T_HTTPS, &qo) < 0 ||
        oe_upstream_query(x->dns, OE_SLICE(q, qlen), on_https_record, x, &err) == NULL) {
        fprintf(stderr, "query: cannot ask for the HTTPS record of %s\n", x->o->target.host);
        x->exit_code = 1;
        uv_stop(&x->loop);
    }
}

/* Fresh configs: the first ones start the queries; a refresh re-seals those that waited. */
static void configs_ready(ctx_t *x)
{
    x->gen++;
    if (!x->refreshing) {
        for (long i = 0; i < x->o->concurrency && x->started < OE_MAX(x->o->count, 1L); i++)
            start_query(x);
        return;
    }
    x->refreshing = false;
    q_t *w = x->waiting;
    x->waiting = NULL;
    while (w != NULL) {
        q_t *q = w;
        w = w->next;
        if (seal_query(q) == 0)
            send_query(q);
    }
}

static void fetch_configs(ctx_t *x)
{
    if (x->o->configs != NULL && strcmp(x->o->configs, "dns") == 0) {
        fetch_configs_dns(x);
        return;
    }
    url_t *u = x->o->ohttp ? &x->o->keys : &x->o->target;
    oe_http_request_t r = {.host = u->host,
                           .addr = (struct sockaddr *)&u->addr,
                           .method = "GET",
                           .path = x->o->ohttp ? u->path : "/.well-known/odohconfigs"};
    oe_http_client_request(x->http, &r, on_configs, x);
}

/* ---- queries -----------------------------------------------------------------------------------
 */

static void finished(ctx_t *x, q_t *q, bool ok)
{
    double ms = (double)(now_us() - q->t0) / 1000.0;
    if (x->lat != NULL && x->finished < x->o->count)
        x->lat[x->finished] = ms;
    x->finished++;
    if (!ok)
        x->failed++;
    oe_odoh_txn_wipe(&q->txn);
    oe_ohttp_txn_wipe(&q->otxn);
    free(q);
    if (x->started < OE_MAX(x->o->count, 1L))
        start_query(x);
    else if (x->finished == x->started)
        uv_stop(&x->loop);
}

static bool contains(oe_slice_t hay, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= hay.len; i++)
        if (memcmp(hay.base + i, needle, n) == 0)
            return true;
    return false;
}

static void on_response(void *data, int status, const oe_header_t *h, size_t nh, oe_slice_t body)
{
    q_t *q = data;
    ctx_t *x = q->x;
    double ms = (double)(now_us() - q->t0) / 1000.0;
    bool may_refresh = x->o->configs == NULL || strcmp(x->o->configs, "dns") == 0;
    /* OHTTP's key refresh signal: 400 with the "ohttp-key" problem type (RFC 9458 §5.3). */
    bool key_problem = false;
    for (size_t i = 0; x->o->ohttp && status == 400 && i < nh; i++)
        if (oe_slice_eq(h[i].name, OE_SLICE_STR("content-type")) &&
            oe_slice_eq(h[i].value, OE_SLICE_STR("application/problem+json")) &&
            contains(body, OE_OHTTP_PROBLEM_KEY))
            key_problem = true;
    if ((status == 401 || key_problem) && !x->o->doh && !q->retried && may_refresh) {
        /* RFC 9230 §4.3: the target no longer has our key: refresh the configs, re-seal. */
        q->retried = true;
        if (q->gen != x->gen) { /* sealed before the latest refresh: re-seal at once */
            if (seal_query(q) == 0)
                send_query(q);
            return;
        }
        q->next = x->waiting;
        x->waiting = q;
        if (!x->refreshing) {
            x->refreshing = true;
            if (!x->o->quiet)
                fprintf(stderr, ";; 401 from the target: fetching its configs again\n");
            fetch_configs(x);
        }
        return;
    }
    if (status != 200) {
        if (!x->o->quiet) {
            if (status == 401 && !x->o->doh)
                fprintf(stderr, "query: the target does not know the key of these configs (%s)\n",
                        x->o->configs != NULL ? "given by --configs, so not fetched again"
                                              : "even after fetching them again");
            else
                fprintf(stderr, "query: %s\n",
                        status > 0 ? "the server answered" : oe_strerror(status));
            for (size_t i = 0; i < nh; i++)
                if (oe_slice_eq(h[i].name, OE_SLICE_STR("proxy-status")))
                    fprintf(stderr, ";; proxy-status: %.*s\n", (int)h[i].value.len,
                            (const char *)h[i].value.base);
            if (status > 0)
                fprintf(stderr, ";; HTTP status %d\n", status);
        }
        x->exit_code = 1;
        finished(x, q, false);
        return;
    }
    uint8_t plain[65536], content[65536];
    oe_slice_t dns = OE_SLICE(body.base, body.len);
    if (x->o->ohttp) {
        oe_bhttp_field_t f[16];
        oe_bhttp_msg_t m;
        int rc = oe_ohttp_response_open(&q->otxn, body.base, body.len, plain, sizeof(plain));
        if (rc >= 0)
            rc = oe_bhttp_decode(&m, plain, (size_t)rc, f, OE_ARRAY_SIZE(f), content,
                                 sizeof(content));
        if (rc < 0 || m.status != 200) {
            if (rc < 0)
                fprintf(stderr, "query: cannot open the answer: %s\n", oe_strerror(rc));
            else if (!x->o->quiet)
                fprintf(stderr, "query: the gateway answered the inner request with %u\n",
                        m.status);
            x->exit_code = 1;
            finished(x, q, false);
            return;
        }
        dns = m.content;
    } else if (!x->o->doh) {
        int rc = oe_odoh_response_open(&q->txn, body.base, body.len, plain, sizeof(plain), &dns);
        if (rc < 0) {
            fprintf(stderr, "query: cannot open the answer: %s\n", oe_strerror(rc));
            x->exit_code = 1;
            finished(x, q, false);
            return;
        }
    }
    if (x->o->count == 0)
        print_answer(x, dns, ms);
    finished(x, q, true);
}

static void send_query(q_t *q)
{
    ctx_t *x = q->x;
    opts_t *o = x->o;
    char path[8192];
    url_t *to = o->use_proxy ? &o->proxy : &o->target;
    if (o->use_proxy) {
        char th[300];
        snprintf(th, sizeof(th), o->target.port == 443 ? "%s" : "%s:%u", o->target.host,
                 o->target.port);
        /* targetpath is a query parameter: percent-encode all but unreserved bytes and '/'. */
        char tp[3 * sizeof(o->target.path)];
        size_t n = 0;
        for (const unsigned char *c = (const unsigned char *)o->target.path; *c; c++) {
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("-._~/", *c))
                tp[n++] = (char)*c;
            else
                n += (size_t)sprintf(tp + n, "%%%02X", *c);
        }
        tp[n] = '\0';
        snprintf(path, sizeof(path), "%s?targethost=%s&targetpath=%s", o->proxy.path, th, tp);
    } else {
        snprintf(path, sizeof(path), "%s", o->ohttp ? o->proxy.path : o->target.path);
    }
    if (o->ohttp)
        to = &o->proxy;
    oe_slice_t media = OE_SLICE_STR(o->ohttp ? OE_OHTTP_MEDIA_REQ
                                    : o->doh ? MEDIA_DNS
                                             : MEDIA_ODOH);
    oe_header_t hdrs[] = {
        {OE_SLICE_STR("content-type"), media},
        {OE_SLICE_STR("accept"), o->ohttp ? OE_SLICE_STR(OE_OHTTP_MEDIA_RES) : media}};
    oe_http_request_t r = {.host = to->host,
                           .addr = (struct sockaddr *)&to->addr,
                           .method = "POST",
                           .path = path,
                           .headers = hdrs,
                           .nheaders = 2,
                           .body = o->doh ? OE_SLICE(q->dns, q->dns_len)
                                          : OE_SLICE(q->sealed, q->sealed_len)};
    oe_http_client_request(x->http, &r, on_response, q);
}

static void start_query(ctx_t *x)
{
    opts_t *o = x->o;
    q_t *q = oe_calloc(1, sizeof(*q));
    q->x = x;
    q->t0 = now_us();
    x->started++;
    uint8_t name[OE_DNS_NAME_MAX];
    int nl = oe_dns_name_from_text(o->name, strlen(o->name), name);
    uint16_t id = 0; /* RFC 8484 §4.1: 0 keeps DoH answers cacheable */
    oe_dns_query_opts_t qo = {.flags = 0x0100, .udp_size = 1232};
    if (nl < 0 || oe_dns_build_query(q->dns, sizeof(q->dns), &q->dns_len, id,
                                     oe_dns_name_wire(name, (size_t)nl), o->type, &qo) < 0) {
        fprintf(stderr, "query: \"%s\" is not a valid name\n", o->name);
        x->exit_code = OE_EXIT_USAGE;
        free(q);
        uv_stop(&x->loop);
        return;
    }
    if (!o->doh && seal_query(q) < 0)
        return;
    send_query(q);
}

/* OHTTP: the query as a Binary HTTP DoH POST to --target, sealed to the key configuration. */
static int seal_ohttp(q_t *q)
{
    const opts_t *o = q->x->o;
    char authority[300];
    snprintf(authority, sizeof(authority), o->target.port == 443 ? "%s" : "%s:%u", o->target.host,
             o->target.port);
    oe_bhttp_field_t f[] = {{OE_SLICE_STR("content-type"), OE_SLICE_STR(MEDIA_DNS)},
                            {OE_SLICE_STR("accept"), OE_SLICE_STR(MEDIA_DNS)}};
    uint8_t req[900];
    int n = oe_bhttp_encode_request(req, sizeof(req), OE_SLICE_STR("POST"), OE_SLICE_STR("https"),
                                    OE_SLICE_STR(authority), OE_SLICE_STR(o->target.path), f, 2,
                                    OE_SLICE(q->dns, q->dns_len));
    oe_ohttp_txn_wipe(&q->otxn);
    if (n >= 0)
        n = oe_ohttp_request_seal(q->sealed, sizeof(q->sealed), &q->otxn, &q->x->ocfg,
                                  OE_SLICE(req, (size_t)n), oe_crypto_random, NULL);
    return n;
}

/* Seals q->dns to the first config; on failure frees q and stops. */
static int seal_query(q_t *q)
{
    ctx_t *x = q->x;
    size_t pad = oe_odoh_pad_len(q->dns_len, OE_ODOH_PAD_QUERY_BLOCK);
    oe_odoh_txn_wipe(&q->txn);
    int n = x->o->ohttp
                ? seal_ohttp(q)
                : oe_odoh_query_seal(q->sealed, sizeof(q->sealed), &q->txn, &x->configs[0],
                                     OE_SLICE(q->dns, q->dns_len), pad, oe_crypto_random, NULL);
    if (n < 0) {
        fprintf(stderr, "query: sealing failed: %s\n", oe_strerror(n));
        x->exit_code = 1;
        free(q);
        uv_stop(&x->loop);
        return -1;
    }
    q->sealed_len = (size_t)n;
    q->gen = x->gen;
    return 0;
}

/* ---- main -------------------------------------------------------------------------------------
 */

static void go(ctx_t *x);

static void after_keys(ctx_t *x)
{
    resolve(x, &x->o->proxy, go);
}

/* The addresses needed before the first request: the target's (ODoH, DoH) and the proxy's; with
 * OHTTP the keys host's and the relay's (the target is only named inside the sealed request). */
static void after_target(ctx_t *x)
{
    if (x->o->use_proxy && !x->o->proxy.resolved)
        resolve(x, &x->o->proxy, go);
    else
        go(x);
}

static void go(ctx_t *x)
{
    x->t0 = now_us();
    if (x->o->doh || x->nconfigs > 0) {
        for (long i = 0; i < x->o->concurrency && x->started < OE_MAX(x->o->count, 1L); i++)
            start_query(x);
        return;
    }
    fetch_configs(x);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void on_walk_close(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int oe_query_command(int argc, char **argv)
{
    opts_t o = {0};
    int pa = parse_args(argc, argv, &o);
    if (pa > 0) {
        usage(stdout);
        return 0;
    }
    if (pa < 0)
        return usage(stderr);
    o.quiet = o.count > 0;
    ctx_t x = {.o = &o};
    oe_log_open(NULL, OE_LOG_WARN, OE_LOG_TEXT);
    static const char *const alpn[] = {"h2", "http/1.1", NULL};
    oe_tls_client_opts_t to = {.ca_file = o.ca, .insecure = o.insecure, .alpn = alpn};
    char *err = NULL;
    x.tls = oe_tls_client_new(&to, &err);
    if (x.tls == NULL) {
        fprintf(stderr, "query: %s\n", err ? err : "TLS setup failed");
        free(err);
        return 1;
    }
    if (o.configs != NULL && strcmp(o.configs, "dns") != 0 && load_configs_arg(&x, o.configs) < 0) {
        oe_tls_client_free(x.tls);
        return OE_EXIT_CONFIG;
    }
    if (o.count > 0)
        x.lat = oe_calloc((size_t)o.count, sizeof(double));
    uv_loop_init(&x.loop);
    oe_http_client_conf_t hc = {.tls = x.tls};
    x.http = oe_http_client_new(&x.loop, &hc);
    char ns_text[80];
    if (o.has_dns_server ||
        oe_resolv_conf_nameserver("/etc/resolv.conf", &x.ns, ns_text, sizeof(ns_text)) == 0) {
        if (o.has_dns_server)
            x.ns = o.dns_server;
        else
            x.ns.text = "the resolv.conf nameserver";
        oe_upstream_conf_t uc = {.servers = &x.ns, .nservers = 1};
        x.dns = oe_upstream_new(&x.loop, &uc);
    }
    if (o.ohttp)
        resolve(&x, &o.keys, after_keys);
    else
        resolve(&x, &o.target, after_target);
    uv_run(&x.loop, UV_RUN_DEFAULT);
    double secs = (double)(now_us() - x.t0) / 1e6;
    oe_http_client_close(x.http);
    if (x.dns != NULL)
        oe_upstream_close(x.dns);
    uv_walk(&x.loop, on_walk_close, NULL);
    uv_run(&x.loop, UV_RUN_DEFAULT);
    uv_loop_close(&x.loop);
    oe_tls_client_free(x.tls);
    if (o.count > 0) {
        long ok = x.finished - x.failed;
        qsort(x.lat, (size_t)x.finished, sizeof(double), cmp_double);
        double p50 = x.finished ? x.lat[x.finished / 2] : 0;
        double p99 = x.finished ? x.lat[(size_t)((double)x.finished * 0.99)] : 0;
        printf("queries %ld ok %ld failed %ld seconds %.3f qps %.1f p50_ms %.2f p99_ms %.2f\n",
               x.finished, ok, x.failed, secs, secs > 0 ? (double)ok / secs : 0.0, p50, p99);
        free(x.lat);
        return x.failed > 0 ? 1 : 0;
    }
    return x.exit_code;
}

static const oe_command_t commands[] = {
    {"query", "query NAME [TYPE] --target URL [--proxy URL | --ohttp URL --ohttp-keys URL] ...",
     "ask an ODoH target (through a proxy), an OHTTP gateway (through a relay) or a DoH server, "
     "like dig",
     oe_query_command},
    {NULL, NULL, NULL, NULL},
};

const oe_module_t oe_client_module = {
    .name = "client",
    .section = NULL,
    .summary = "the query command",
    .commands = commands,
};
