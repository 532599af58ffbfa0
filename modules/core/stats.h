/*
 * Process counters for the metrics module: a fixed set (no label holds a client address, a query
 * name or anything else without a bound), each thread writing only its own array, without locks
 * (relaxed atomic stores), summed at scrape time with relaxed atomic loads. A thread's array is
 * made on its first count; when the thread ends its values are folded into a process total and
 * the array is reused, so reloads (new worker threads) cost no memory.
 *
 * Any module may count through oe_stat_inc(); only the metrics module reads. Counters are native
 * words (lock-free on 32-bit routers too): there they wrap at 2^32, which Prometheus reads as a
 * counter reset.
 */
#ifndef OE_STATS_H
#define OE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upstream latency buckets (upper bounds, milliseconds) of oe_stat_upstream_latency(). */
#define OE_STAT_LATENCY_BUCKETS_MS 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500
#define OE_STAT_NLATENCY           11

typedef enum oe_stat {
    OE_STAT_CONN_ACCEPTED,
    OE_STAT_CONN_CLOSED,
    OE_STAT_CONN_REFUSED, /* max-connections reached */
    OE_STAT_TLS_OK,       /* handshakes completed */
    /* Handshakes that failed, by reason (the order of oe_tls_fail_t, then the timeout). */
    OE_STAT_TLS_FAIL_PROTOCOL,
    OE_STAT_TLS_FAIL_VERSION,
    OE_STAT_TLS_FAIL_NO_CIPHER,
    OE_STAT_TLS_FAIL_CERTIFICATE,
    OE_STAT_TLS_FAIL_ALERT,
    OE_STAT_TLS_FAIL_TIMEOUT, /* handshake-timeout expired */
    OE_STAT_ORIGIN_SENT,      /* HTTP/2 ORIGIN frames */
    OE_STAT_HTTP_H1_1XX,      /* HTTP/1.1 responses by status class, 1xx..5xx */
    OE_STAT_HTTP_H1_5XX = OE_STAT_HTTP_H1_1XX + 4,
    OE_STAT_HTTP_H2_1XX,
    OE_STAT_HTTP_H2_5XX = OE_STAT_HTTP_H2_1XX + 4,
    OE_STAT_TARGET_OK, /* ODoH queries answered 200 */
    OE_STAT_TARGET_400,
    OE_STAT_TARGET_401,
    OE_STAT_TARGET_415,
    OE_STAT_TARGET_502,
    OE_STAT_TARGET_504,
    OE_STAT_TARGET_OTHER,  /* 405, 500, 503 */
    OE_STAT_TARGET_DOH_OK, /* the same seven for DoH */
    OE_STAT_TARGET_DOH_OTHER = OE_STAT_TARGET_DOH_OK + 6,
    OE_STAT_HPKE_OPEN_FAILED,
    OE_STAT_PROXY_OK, /* relayed; the target's own status passed through */
    OE_STAT_PROXY_400,
    OE_STAT_PROXY_403,
    OE_STAT_PROXY_415,
    OE_STAT_PROXY_502,
    OE_STAT_PROXY_504,
    OE_STAT_PROXY_OTHER,
    OE_STAT_RELAY_OK, /* the OHTTP relay: the same seven as the proxy's */
    OE_STAT_RELAY_OTHER = OE_STAT_RELAY_OK + 6,
    /* OHTTP gateway requests by outer outcome. */
    OE_STAT_GATEWAY_OK,        /* decapsulated and answered with an encapsulated response */
    OE_STAT_GATEWAY_KEY_ID,    /* 400 ohttp-key: no key with the request's id (or suite) */
    OE_STAT_GATEWAY_DECRYPT,   /* 400 ohttp-key: the encapsulation did not open */
    OE_STAT_GATEWAY_TRUNCATED, /* 400: shorter than header + enc + tag */
    OE_STAT_GATEWAY_415,       /* the outer content-type is not message/ohttp-req */
    OE_STAT_GATEWAY_OTHER,     /* 500: sealing the answer failed */
    /* The gateway's encapsulated (inner) responses: 2xx, 3xx, 4xx, 5xx but 504, then 504. */
    OE_STAT_GATEWAY_INNER_2XX,
    OE_STAT_GATEWAY_INNER_504 = OE_STAT_GATEWAY_INNER_2XX + 4,
    OE_STAT_OHTTP_KEYS_LIST,        /* key configurations served in the RFC 9458 list form */
    OE_STAT_OHTTP_KEYS_SINGLE,      /* served as one configuration (keys-form = single) */
    OE_STAT_OHTTP_KEYS_UNAVAILABLE, /* 503: no key published yet */
    OE_STAT_RELOAD_OK,
    OE_STAT_RELOAD_FAILED,
    OE_STAT_COUNT
} oe_stat_t;

/* Adds n to counter s of the calling thread. Never blocks except on a thread's first count. */
void oe_stat_add(oe_stat_t s, uint64_t n);
static inline void oe_stat_inc(oe_stat_t s)
{
    oe_stat_add(s, 1);
}

/* HTTP responses by site: an id from oe_stat_site_id() per configured [site] name. */
#define OE_STAT_SITES 64 /* site names counted apart; 0 is no site (and any name past these) */
/* The id of a site name (copied, truncated to 63 bytes), stable for the life of the process:
 * 1..OE_STAT_SITES, or 0 once the table is full. Any thread; takes a lock (call at config load,
 * not per request). */
int oe_stat_site_id(const char *name);
/* Copies the name of id into buf; false when id has none (0 always has none). Any thread. */
bool oe_stat_site_name(int id, char *buf, size_t cap);
/* Responses of site id, h2 or HTTP/1.1, status class 1..5. */
uint64_t oe_stat_site_sum(int id, int h2, int cls);

/* Helpers that pick the counter. */
void oe_stat_http_response(int site_id, int h2, int status);
/* A target answer: odoh is true for a query in the ODoH media type, false for DoH (and for a
 * request in neither type). */
void oe_stat_target_result(int odoh, int status);
/* A proxy answer, counted in the seven counters from first (OE_STAT_PROXY_OK for the ODoH proxy,
 * OE_STAT_RELAY_OK for the OHTTP relay): relayed, else by the status of the proxy's own error. */
void oe_stat_proxy_result(oe_stat_t first, int status, int relayed);
/* An encapsulated (inner) response of the OHTTP gateway, by its status. */
void oe_stat_gateway_inner(int status);
/* Upstream counters, one set per upstream address (an id from oe_stat_upstream_id()). */
#define OE_STAT_UPSTREAMS 16 /* addresses counted apart; any more share id 0 ("other") */
typedef enum oe_ustat {
    OE_USTAT_OK,
    OE_USTAT_TIMEOUT,
    OE_USTAT_FAILED,
    OE_USTAT_LATENCY_LE, /* histogram buckets (non-cumulative here) */
    OE_USTAT_LATENCY_INF = OE_USTAT_LATENCY_LE + OE_STAT_NLATENCY,
    OE_USTAT_LATENCY_SUM_US,
    OE_USTAT_COUNT
} oe_ustat_t;
/* The id of an upstream address text (copied, truncated to 63 bytes): the same text has the same
 * id for the life of the process, so its counters never go down across reloads. 1..16, or 0 once
 * 16 texts are taken. Any thread; takes a lock. */
int oe_stat_upstream_id(const char *text);
/* Copies the text of id into buf (NUL-terminated); false when id has none. Any thread. */
bool oe_stat_upstream_name(int id, char *buf, size_t cap);
/* A finished upstream query, counted under the id of the last server it tried: 0 ok, 1 timed
 * out, 2 failed; latency in microseconds. */
void oe_stat_upstream(int id, int result, uint64_t latency_us);
/* The process-wide value of counter s of upstream id. */
uint64_t oe_stat_upstream_sum(int id, oe_ustat_t s);

/* Process-wide gauges, set by the main thread (keys, publication), read at scrape time. */
typedef enum oe_gauge {
    OE_GAUGE_KEYS_ACTIVE, /* 1 while a keys module runs (the target has a key set) */
    OE_GAUGE_KEYS_NEXT,   /* keys by state */
    OE_GAUGE_KEYS_CURRENT,
    OE_GAUGE_KEYS_PREVIOUS,
    OE_GAUGE_KEY_NEXT_ACTIVATE,  /* unix seconds when the next key becomes current (0: none) */
    OE_GAUGE_KEY_CURRENT_RETIRE, /* unix seconds when the current key retires (0: none) */
    OE_GAUGE_PUBLISH_ZONE,       /* unix seconds of the last zone-file write that succeeded */
    OE_GAUGE_PUBLISH_UPDATE,     /* unix seconds of the last DNS UPDATE the server accepted */
    OE_GAUGE_COUNT
} oe_gauge_t;
void oe_gauge_set(oe_gauge_t g, long v);
long oe_gauge_get(oe_gauge_t g);

/* The process-wide value of s (every thread's, living or ended). Any thread. */
uint64_t oe_stat_sum(oe_stat_t s);

#endif
