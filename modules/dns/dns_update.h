/*
 * DNS UPDATE (RFC 2136): the one message this project sends to an authoritative server, "replace
 * the RRset (owner, type) with these records, provided the owner name exists". Sign it with
 * oe_dns_tsig_sign() (dns_tsig.h). No I/O.
 */
#ifndef OE_DNS_UPDATE_H
#define OE_DNS_UPDATE_H

#include "dns/dns_wire.h"

typedef struct oe_dns_update {
    oe_dns_name_t zone;       /* the zone's apex; `owner` must be at or below it */
    oe_dns_name_t owner;      /* e.g. odoh.example. */
    uint16_t type;            /* e.g. OE_DNS_T_HTTPS */
    uint32_t ttl;             /* TTL of the added records */
    const oe_slice_t *rdatas; /* borrowed; uncompressed RDATA of each new record */
    size_t nrdatas;           /* may be 0: then the RRset is only deleted */
    bool no_prereq;           /* no "name is in use" prerequisite (a name that may not exist
                               * yet, e.g. _acme-challenge for DNS-01) */
} oe_dns_update_t;

/*
 * Builds into buf (RFC 2136 §2-§3):
 *   header:       ID `id`, opcode UPDATE (5), all flags 0
 *   zone:         ZNAME = zone, ZTYPE = SOA, ZCLASS = IN                       (§2.3)
 *   prerequisite: owner ANY ANY TTL 0 RDLENGTH 0  ("name is in use")          (§2.4.4)
 *                 (none with no_prereq)
 *   update:       owner TYPE ANY TTL 0 RDLENGTH 0  ("delete an RRset")         (§2.5.2)
 *                 owner TYPE IN TTL rdata, once per rdata ("add to an RRset")  (§2.5.1)
 * Owner names are compressed against the zone name. Returns 0 with *len set, OE_EINVAL (owner
 * not under zone, type a meta type), OE_EFORMAT (bad name) or OE_ESPACE.
 */
int oe_dns_update_build(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
                        const oe_dns_update_t *u);

#endif
