/*
 * The upstream resolver client: sends a DNS query to configured servers (IP:port) and calls back
 * with a validated answer. One client per event loop (per worker), used from that loop's thread.
 *
 * UDP: a fresh socket per attempt (the kernel picks a random source port) connected to the
 * server, and a random ID per query; an answer counts only if it comes from that server and has
 * our ID and our question (anything else is ignored and remembered as garbage). A truncated
 * answer is retried over TCP to the same server, on one connection per server reused for every
 * query (pipelined, matched by ID), closed after 10 s idle. Each attempt has a time-out; the
 * next attempt goes to the next server. A server that fails three times in a row is skipped for
 * a while (dead-time), unless every server is down.
 *
 * No getaddrinfo: servers are IP literals.
 */
#ifndef OE_DNS_UPSTREAM_H
#define OE_DNS_UPSTREAM_H

#include <stdint.h>

#include "core/conf.h"
#include "core/oe.h"

struct uv_loop_s;

/* Final statuses passed to the callback. */
#define OE_UPSTREAM_ETIMEOUT (-(OE_ERR_BASE + 300)) /* no answer in time (HTTP 504) */
#define OE_UPSTREAM_EFAIL    (-(OE_ERR_BASE + 301)) /* refused, unreachable, garbage (HTTP 502) */
#define OE_UPSTREAM_EBUSY    (-(OE_ERR_BASE + 302)) /* too many queries in flight (HTTP 503) */

typedef struct oe_upstream_conf {
    const oe_sockaddr_t *servers; /* borrowed; must outlive the client */
    size_t nservers;
    uint64_t timeout_ms; /* per attempt; default 1500 */
    unsigned attempts;   /* in all, across servers; default 3 */
    uint64_t dead_ms;    /* how long a failing server is skipped; default 30000 */
    size_t max_inflight; /* default 4096 */
} oe_upstream_conf_t;

typedef struct oe_upstream oe_upstream_t;
typedef struct oe_upstream_query oe_upstream_query_t;

/* status 0: answer is the server's answer with the client's original ID (borrowed, valid during
 * the call). Otherwise one of the codes above and an empty answer. */
typedef void (*oe_upstream_cb)(void *data, int status, oe_slice_t answer);

/* A client on loop. conf is copied (servers borrowed). */
oe_upstream_t *oe_upstream_new(struct uv_loop_s *loop, const oe_upstream_conf_t *conf);

/* Starts resolving query (a DNS query message, copied). Returns the query handle, or NULL with
 * *err = OE_EFORMAT (not a query with exactly one question) or OE_UPSTREAM_EBUSY; the callback
 * is then never called. */
oe_upstream_query_t *oe_upstream_query(oe_upstream_t *u, oe_slice_t query, oe_upstream_cb cb,
                                       void *data, int *err);

/* The caller no longer wants the answer: the callback will not be called. */
void oe_upstream_cancel(oe_upstream_query_t *q);

/* Cancels everything and closes the client's handles; the memory goes once they are closed. */
void oe_upstream_close(oe_upstream_t *u);

/* Address look-ups for clients of the client (the proxy's targets, the query command's hosts):
 * an A query for host, and the first A record of the answer. l is the caller's storage and must
 * stay valid until cb runs or the query is cancelled. cb gets 0 and the address (port 0), or an
 * upstream error, or OE_UPSTREAM_ENOADDR. Returns NULL (cb never called) with *err set as for
 * oe_upstream_query, OE_EFORMAT also for a host that is not a DNS name. */
#define OE_UPSTREAM_ENOADDR (-(OE_ERR_BASE + 303)) /* the name has no IPv4 address */
struct sockaddr_in;
typedef void (*oe_upstream_addr_cb)(void *data, int status, const struct sockaddr_in *addr);
typedef struct oe_upstream_lookup {
    oe_upstream_addr_cb cb;
    void *data;
} oe_upstream_lookup_t;
oe_upstream_query_t *oe_upstream_lookup(oe_upstream_t *u, const char *host, oe_upstream_lookup_t *l,
                                        int *err);

#endif
