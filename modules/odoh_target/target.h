/*
 * The ODoH target (RFC 9230) and DoH endpoint (RFC 8484) on a [site]:
 *   POST PATH  application/oblivious-dns-message   sealed query -> sealed answer
 *   POST PATH  application/dns-message             plain DoH
 *   GET  PATH?dns=BASE64URL                        plain DoH
 *   GET  /.well-known/odohconfigs                  the ObliviousDoHConfigs clients seal to
 * Queries are answered from local-data when a record owns the name, otherwise by the upstream
 * resolvers (modules/dns/upstream.h), one client per worker.
 *
 * Keys come as an immutable, reference-counted key set that can be swapped atomically while
 * queries are in flight (the key lifecycle of modules/keys does so); until then the target
 * keeps one key, generated at first start in STATE/odoh/ (mode 0600).
 */
#ifndef OE_ODOH_TARGET_H
#define OE_ODOH_TARGET_H

#include <stdatomic.h>

#include "odoh/odoh.h"

/* A set of keys the target accepts, and the configs it publishes (the keys flagged published,
 * in order). Immutable once made; freed (secrets wiped) when the last reference goes. */
typedef struct oe_odoh_keyset {
    atomic_int refs;
    size_t n;
    oe_odoh_key_t *keys;
    uint8_t *configs; /* ObliviousDoHConfigs, with its length prefix */
    size_t configs_len;
    uint64_t max_age; /* seconds for Cache-Control on /.well-known/odohconfigs */
    /* The target's own HTTPS record (RFC 9460) carrying the configs under key 32769, answered
     * for queries of owner/HTTPS; https_len 0 when there is none. */
    uint8_t owner[255];
    size_t owner_len;
    uint8_t *https;
    size_t https_len;
    uint32_t https_ttl;
} oe_odoh_keyset_t;

/* A set of n keys (copied); the first npub of them are published in that order. */
oe_odoh_keyset_t *oe_odoh_keyset_new(const oe_odoh_key_t *keys, size_t n, size_t npub,
                                     uint64_t max_age);
oe_odoh_keyset_t *oe_odoh_keyset_ref(oe_odoh_keyset_t *ks);
void oe_odoh_keyset_unref(oe_odoh_keyset_t *ks);

typedef struct oe_odoh_target oe_odoh_target_t;

/* What the key lifecycle needs to know of the target: its first host name, its path, and the
 * port of the first TLS listener (for the HTTPS record); the configured configs-max-age in
 * seconds. */
const char *oe_odoh_target_host(const oe_odoh_target_t *t);
const char *oe_odoh_target_path(const oe_odoh_target_t *t);
uint64_t oe_odoh_target_max_age(const oe_odoh_target_t *t);

/* Replaces the target's key set (takes the caller's reference). Queries being opened keep the
 * set they started with. Thread-safe. */
void oe_odoh_target_set_keys(oe_odoh_target_t *t, oe_odoh_keyset_t *ks);

/* In-process DoH for the OHTTP gateway (modules/ohttp_gateway): answers the DNS query dns
 * (copied) exactly as a DoH request to the target's path would be answered (local-data, the own
 * HTTPS record, the upstreams), without a network hop. done is called once with an HTTP status
 * and, for 200, the DNS answer (borrowed for the call), possibly before this returns; with status
 * 0 when req was aborted first (then nothing may be sent on req). While the query is pending the
 * target owns req->data and req->on_abort. Worker thread of req only. */
struct oe_req;
typedef void (*oe_odoh_target_done_fn)(void *arg, int status, oe_slice_t dns);
void oe_odoh_target_resolve(oe_odoh_target_t *t, struct oe_req *req, oe_slice_t dns,
                            oe_odoh_target_done_fn done, void *arg);
/* True when host (without port) is a name of the target's site and path its DoH path. */
bool oe_odoh_target_is_endpoint(const oe_odoh_target_t *t, oe_slice_t host, oe_slice_t path);

#endif
