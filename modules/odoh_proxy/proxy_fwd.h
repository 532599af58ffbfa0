/*
 * The proxy's forwarding engine, shared by the ODoH proxy and the OHTTP relay
 * (modules/ohttp_relay): one request body POSTed to https://HOST:PORT/PATH over the pooled
 * outbound client, with the proxy's guarantees: addresses in special-purpose ranges refused
 * unless the destination is named explicitly, only content-type, accept and content-length sent,
 * no redirect followed, the destination's status and body passed back with
 * Proxy-Status (RFC 9209), nothing about the client logged.
 */
#ifndef OE_ODOH_PROXY_FWD_H
#define OE_ODOH_PROXY_FWD_H

#include <netinet/in.h>

#include "core/conf.h"
#include "core/stats.h"
#include "http/http.h"

typedef struct oe_proxy_fixed {
    const char *host;
    struct sockaddr_storage addr; /* port 0: the destination's port is filled in per request */
} oe_proxy_fixed_t;

/* The settings both roles share; conf_check fills fixed from resolve_list. */
typedef struct oe_proxy_fwd_conf {
    oe_strlist_t resolve_list;
    const char *ca_file;
    oe_addrlist_t upstreams;
    uint64_t connect_timeout, request_timeout;
    oe_proxy_fixed_t *fixed;
    size_t nfixed;
} oe_proxy_fwd_conf_t;

extern const oe_conf_range_t oe_proxy_timeout_range;

/* The directive table entries of an oe_proxy_fwd_conf_t member f of conf type T; what names the
 * far end in the help texts ("target", "gateway"). */
#define OE_PROXY_FWD_DIRECTIVES(T, f, what)                                                        \
    {"resolve",                                                                                    \
     oe_conf_set_strlist,                                                                          \
     offsetof(T, f.resolve_list),                                                                  \
     NULL,                                                                                         \
     OE_CONF_LIST,                                                                                 \
     "HOST=IP: a fixed address for a " what " name (no DNS lookup)"},                              \
        {"upstream", oe_conf_set_addrlist, offsetof(T, f.upstreams),                               \
         NULL,       OE_CONF_LIST,         "DNS resolver IP:port used to look up " what " names"}, \
        {"ca-file",                                                                                \
         oe_conf_set_path,                                                                         \
         offsetof(T, f.ca_file),                                                                   \
         NULL,                                                                                     \
         0,                                                                                        \
         "PEM CA bundle to verify " what "s (default: the system bundle)"},                        \
        {"connect-timeout",                                                                        \
         oe_conf_set_duration,                                                                     \
         offsetof(T, f.connect_timeout),                                                           \
         &oe_proxy_timeout_range,                                                                  \
         0,                                                                                        \
         "time to connect to a " what " and finish TLS (default 5s)"},                             \
    {                                                                                              \
        "request-timeout", oe_conf_set_duration, offsetof(T, f.request_timeout),                   \
            &oe_proxy_timeout_range, 0, "time for the " what "'s answer (default 10s)"             \
    }

void oe_proxy_fwd_conf_init(oe_proxy_fwd_conf_t *c);
int oe_proxy_fwd_conf_check(oe_conf_t *cf, oe_conf_section_t *sec, oe_proxy_fwd_conf_t *c);

/* The privacy rule (conf_finish): the site ps of this role ("proxy", "relay") and the site of
 * the role configured in section other ("odoh-target", "ohttp-gateway") in the same instance
 * must differ, and neither certificate may cover the other's names. */
int oe_proxy_check_apart(oe_conf_t *cf, oe_conf_section_t *sec, const oe_site_t *ps,
                         const char *other, const char *me, const char *them);

typedef struct oe_proxy_fwd oe_proxy_fwd_t;
/* Creates the engine in *out (freed with oe_proxy_fwd_free even on failure) and registers its
 * per-worker state with http. c is borrowed for the engine's life. Answers sent on a request are
 * counted from stats (OE_STAT_PROXY_OK or OE_STAT_RELAY_OK, oe_stat_proxy_result); those handed
 * to oe_proxy_dest_t.done are the caller's to count. From a module's init. */
int oe_proxy_fwd_new(oe_proxy_fwd_t **out, oe_http_t *http, const oe_proxy_fwd_conf_t *c,
                     const char *tag, oe_stat_t stats);
void oe_proxy_fwd_free(oe_proxy_fwd_t *f);

/* The answer of a forwarded request, for a caller that handles it itself (oe_proxy_dest_t.done):
 * status > 0 is the destination's status with its content-type and body (borrowed for the call);
 * 502/503/504/403 are the engine's own failures (nothing received); 0 means req was aborted
 * first (nothing may be sent on it). Called once, possibly before oe_proxy_fwd returns. */
typedef void (*oe_proxy_done_fn)(void *arg, int status, oe_slice_t ctype, oe_slice_t body);

typedef struct oe_proxy_dest {
    const char *host; /* lower-case name or IP literal */
    unsigned port;
    const char *path;
    const char *media;   /* content-type sent */
    const char *accept;  /* accept sent; NULL: media */
    bool explicit_allow; /* configured by name: special-purpose addresses are allowed */
    /* Optional: done gets the answer instead of req (which is then not answered), the request
     * goes out with method (default POST) and body (borrowed until done) instead of req's. */
    oe_proxy_done_fn done;
    void *done_arg;
    const char *method; /* a static string */
    oe_slice_t body;
} oe_proxy_dest_t;
/* Forwards req's body to d (copied) and answers req (or calls d->done); takes req->data and
 * req->on_abort. */
void oe_proxy_fwd(oe_proxy_fwd_t *f, oe_req_t *req, const oe_proxy_dest_t *d);

/* An error answer with Proxy-Status: odoh-edge; error=ERROR[; details="DETAILS"], counted from
 * stats (OE_STAT_PROXY_OK or OE_STAT_RELAY_OK). */
void oe_proxy_deny(oe_req_t *req, oe_stat_t stats, int status, const char *error,
                   const char *details);
/* A port written as 1-5 decimal digits, 1..65535; 0 for anything else ("", "443x", "+1"). */
unsigned oe_proxy_parse_port(const char *s);
/* A destination host: a name, or an IP literal (IPv6 without brackets and port; the address
 * checks then refuse special-purpose ones with 403). Lower-cased in place: allow lists compare
 * exactly. */
bool oe_proxy_valid_host(char *h);
/* A path goes into the request line (HTTP/1.1) or :path (h2) as it is: it must be printable
 * ASCII without spaces, or a client could write its own request line and header fields into the
 * request to the destination. */
bool oe_proxy_valid_path(const char *p);

#endif
