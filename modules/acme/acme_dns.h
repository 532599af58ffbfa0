/*
 * DNS-01 (RFC 8555 §8.4) publication: one TSIG-signed DNS UPDATE (RFC 2136, modules/dns) at a
 * time that sets or deletes the TXT RRset of _acme-challenge.NAME on the configured server, over
 * UDP on the caller's loop, with the server's TSIG verified. Main loop only.
 */
#ifndef OE_ACME_DNS_H
#define OE_ACME_DNS_H

#include "core/conf.h"
#include "core/oe.h"

struct uv_loop_s;
typedef struct oe_acme_dns oe_acme_dns_t;

/* status 0: the server applied the update; else an error, described by msg (valid during the
 * call). */
typedef void (*oe_acme_dns_cb)(void *data, int status, const char *msg);

/* A publisher for zone on server, signing with the TSIG key (name, base64 secret). NULL with
 * *err (caller frees) when the zone or the key is malformed. */
oe_acme_dns_t *oe_acme_dns_new(struct uv_loop_s *loop, const oe_sockaddr_t *server,
                               const char *zone, const char *tsig_name, const char *tsig_secret,
                               uint64_t timeout_ms, char **err);

/* Sets the TXT RRset of owner (a name under the zone) to the one string txt, or deletes it when
 * txt is NULL. One update at a time: OE_EINVAL while one is in flight, else 0 and cb is called
 * later (never from inside this call). */
int oe_acme_dns_update(oe_acme_dns_t *d, const char *owner, const char *txt, oe_acme_dns_cb cb,
                       void *data);

/* Cancels the update in flight (no callback) and frees d once its handles are closed. */
void oe_acme_dns_close(oe_acme_dns_t *d);

#endif
