/*
 * DNS UPDATE message construction (RFC 2136 §2, §3.4).
 */
#include "dns/dns_update.h"
#include "dns/dns_write.h"

int oe_dns_update_build(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
                        const oe_dns_update_t *u)
{
    oe_dns_writer_t w;
    if (!oe_dns_name_is_under(u->owner, u->zone))
        return OE_EINVAL;
    if (u->type == OE_DNS_T_ANY || u->type == OE_DNS_T_OPT || u->type == OE_DNS_T_TSIG ||
        u->type == 0)
        return OE_EINVAL;
    oe_dns_writer_init(&w, buf, cap, id, OE_DNS_OPCODE_FLAGS(OE_DNS_OP_UPDATE));
    w.compress = true;
    /* §2.3: the zone section holds exactly one "question": the zone's SOA. */
    oe_dns_write_question(&w, u->zone, OE_DNS_T_SOA, OE_DNS_C_IN);
    /* §2.4.4: "Name Is In Use": TYPE ANY, CLASS ANY, TTL 0, RDLENGTH 0. */
    if (!u->no_prereq)
        oe_dns_write_rr(&w, OE_DNS_SEC_ANSWER, u->owner, OE_DNS_T_ANY, OE_DNS_C_ANY, 0,
                        OE_SLICE(NULL, 0));
    /* §2.5.2: "Delete An RRset": CLASS ANY, TTL 0, RDLENGTH 0. */
    oe_dns_write_rr(&w, OE_DNS_SEC_AUTHORITY, u->owner, u->type, OE_DNS_C_ANY, 0,
                    OE_SLICE(NULL, 0));
    /* §2.5.1: "Add To An RRset": the zone's class. */
    for (size_t i = 0; i < u->nrdatas; i++)
        oe_dns_write_rr(&w, OE_DNS_SEC_AUTHORITY, u->owner, u->type, OE_DNS_C_IN, u->ttl,
                        u->rdatas[i]);
    return oe_dns_writer_finish(&w, len);
}
