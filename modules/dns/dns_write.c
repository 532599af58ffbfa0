/*
 * DNS message writer (RFC 1035 §4.1, RFC 6891 §6.1.2, RFC 7830).
 */
#include "dns/dns_write.h"

static int fail(oe_dns_writer_t *w, int err)
{
    if (w->err == 0)
        w->err = err;
    return w->err;
}

static uint8_t *reserve(oe_dns_writer_t *w, size_t n)
{
    if (w->err)
        return NULL;
    if (w->cap - w->len < n) {
        fail(w, OE_ESPACE);
        return NULL;
    }
    uint8_t *p = w->base + w->len;
    w->len += n;
    return p;
}

static int put(oe_dns_writer_t *w, const void *p, size_t n)
{
    uint8_t *d = reserve(w, n);
    if (!d)
        return w->err;
    if (n)
        memcpy(d, p, n);
    return 0;
}

static int put16(oe_dns_writer_t *w, uint16_t v)
{
    uint8_t *d = reserve(w, 2);
    if (!d)
        return w->err;
    oe_put16(d, v);
    return 0;
}

static int put32(oe_dns_writer_t *w, uint32_t v)
{
    uint8_t *d = reserve(w, 4);
    if (!d)
        return w->err;
    oe_put32(d, v);
    return 0;
}

void oe_dns_writer_init(oe_dns_writer_t *w, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags)
{
    *w = (oe_dns_writer_t){.base = buf, .cap = cap, .rcode = flags & 0xf};
    uint8_t *p = reserve(w, OE_DNS_HEADER_LEN);
    if (!p)
        return;
    memset(p, 0, OE_DNS_HEADER_LEN);
    oe_put16(p, id);
    oe_put16(p + 2, flags);
}

void oe_dns_writer_set_rcode(oe_dns_writer_t *w, uint16_t rcode)
{
    w->rcode = rcode & 0xfff;
}

/* Enters `section`; sections only move forward. */
static int enter(oe_dns_writer_t *w, unsigned section)
{
    if (w->err)
        return w->err;
    if (section > OE_DNS_SEC_ADDITIONAL || section < w->section)
        return fail(w, OE_EINVAL);
    w->section = section;
    if (w->count[section] == UINT16_MAX)
        return fail(w, OE_EOVERFLOW);
    return 0;
}

/* Finds a written name equal (case-insensitively) to the suffix wire[0..len) and returns its
 * offset, or -1. Candidates are label starts already in the buffer, so a pointer to one always
 * points backwards. */
static int comp_find(const oe_dns_writer_t *w, const uint8_t *wire, size_t len)
{
    oe_dns_name_t want = oe_dns_name_wire(wire, len);
    for (unsigned i = 0; i < w->ncomp; i++) {
        oe_dns_name_t have = {OE_SLICE(w->base, w->len), w->comp[i]};
        if (oe_dns_name_eq(have, want))
            return w->comp[i];
    }
    return -1;
}

/* Writes an uncompressed wire name, compressing its longest known suffix when `compress`. */
static int put_wire_name(oe_dns_writer_t *w, const uint8_t *wire, size_t len, bool compress)
{
    size_t i = 0;
    while (wire[i] != 0) {
        if (compress) {
            int at = comp_find(w, wire + i, len - i);
            if (at >= 0)
                return put16(w, (uint16_t)(0xc000 | at));
            if (w->ncomp < OE_DNS_COMP_MAX && w->len <= 0x3fff)
                w->comp[w->ncomp++] = (uint16_t)w->len;
        }
        if (put(w, wire + i, 1 + (size_t)wire[i]))
            return w->err;
        i += 1 + (size_t)wire[i];
    }
    return put(w, "", 1);
}

static int put_name(oe_dns_writer_t *w, oe_dns_name_t name, bool compress)
{
    uint8_t wire[OE_DNS_NAME_MAX];
    int n = oe_dns_name_unpack(name, wire);
    if (n < 0)
        return fail(w, OE_EFORMAT);
    return put_wire_name(w, wire, (size_t)n, compress);
}

int oe_dns_write_question(oe_dns_writer_t *w, oe_dns_name_t name, uint16_t type, uint16_t rclass)
{
    if (enter(w, OE_DNS_SEC_QUESTION) || put_name(w, name, w->compress) || put16(w, type) ||
        put16(w, rclass))
        return w->err;
    w->count[OE_DNS_SEC_QUESTION]++;
    return 0;
}

/* Owner, type, class, TTL and a zero RDLENGTH; returns the RDLENGTH offset (or 0 on error). */
static size_t rr_head(oe_dns_writer_t *w, unsigned section, oe_dns_name_t owner, uint16_t type,
                      uint16_t rclass, uint32_t ttl)
{
    if (enter(w, section) || put_name(w, owner, w->compress) || put16(w, type) ||
        put16(w, rclass) || put32(w, ttl))
        return 0;
    size_t at = w->len;
    return put16(w, 0) ? 0 : at;
}

static int rr_tail(oe_dns_writer_t *w, unsigned section, size_t rdlen_at)
{
    size_t rdlen = w->len - rdlen_at - 2;
    if (rdlen > UINT16_MAX)
        return fail(w, OE_EOVERFLOW);
    oe_put16(w->base + rdlen_at, (uint16_t)rdlen);
    w->count[section]++;
    return 0;
}

int oe_dns_write_rr(oe_dns_writer_t *w, oe_dns_section_t section, oe_dns_name_t owner,
                    uint16_t type, uint16_t rclass, uint32_t ttl, oe_slice_t rdata)
{
    if (section == OE_DNS_SEC_QUESTION)
        return fail(w, OE_EINVAL);
    size_t at = rr_head(w, section, owner, type, rclass, ttl);
    if (!at || put(w, rdata.base, rdata.len))
        return w->err;
    return rr_tail(w, section, at);
}

/* Copies the RDATA of rr with `nnames` names after `before` fixed octets, then the rest. */
static int copy_rdata_names(oe_dns_writer_t *w, const oe_dns_rr_t *rr, size_t before, int nnames)
{
    size_t end = rr->rdata_off + rr->rdata.len, pos = rr->rdata_off + before;
    oe_slice_t cut = OE_SLICE(rr->msg.base, end);
    if (rr->rdata.len < before || put(w, rr->rdata.base, before))
        return fail(w, OE_EFORMAT);
    for (int i = 0; i < nnames; i++) {
        size_t next;
        if (oe_dns_name_check(cut, pos, true, &next, NULL) < 0)
            return fail(w, OE_EFORMAT);
        /* RFC 3597 §4: only the well-known types of RFC 1035 may be compressed on output. */
        if (put_name(w, (oe_dns_name_t){cut, pos}, false))
            return w->err;
        pos = next;
    }
    return put(w, rr->msg.base + pos, end - pos);
}

int oe_dns_write_rr_copy(oe_dns_writer_t *w, oe_dns_section_t section, const oe_dns_rr_t *rr)
{
    if (section == OE_DNS_SEC_QUESTION)
        return fail(w, OE_EINVAL);
    size_t at = rr_head(w, section, rr->name, rr->type, rr->rclass, rr->ttl);
    if (!at)
        return w->err;
    switch (rr->type) {
    case OE_DNS_T_NS:
    case OE_DNS_T_CNAME:
    case OE_DNS_T_PTR:
    case OE_DNS_T_DNAME:
        copy_rdata_names(w, rr, 0, 1);
        break;
    case OE_DNS_T_MX:
        copy_rdata_names(w, rr, 2, 1);
        break;
    case OE_DNS_T_SOA:
        copy_rdata_names(w, rr, 0, 2);
        break;
    case OE_DNS_T_SRV:
        copy_rdata_names(w, rr, 6, 1);
        break;
    default:
        put(w, rr->rdata.base, rr->rdata.len);
    }
    if (w->err)
        return w->err;
    return rr_tail(w, section, at);
}

int oe_dns_write_opt(oe_dns_writer_t *w, uint16_t udp_size, uint16_t flags, oe_slice_t options,
                     size_t pad_block)
{
    static const uint8_t root = 0;
    if (pad_block > 4096)
        return fail(w, OE_EINVAL);
    size_t at = rr_head(w, OE_DNS_SEC_ADDITIONAL, oe_dns_name_wire(&root, 1), OE_DNS_T_OPT,
                        udp_size, (uint32_t)(w->rcode >> 4) << 24 | flags);
    if (!at || put(w, options.base, options.len))
        return w->err;
    if (pad_block) {
        /* RFC 7830 §3: option code 12, length, zero octets. */
        size_t after = w->len + 4;
        size_t pad = (pad_block - after % pad_block) % pad_block;
        uint8_t *p = reserve(w, 4 + pad);
        if (!p)
            return w->err;
        oe_put16(p, OE_DNS_EDNS_PADDING);
        oe_put16(p + 2, (uint16_t)pad);
        memset(p + 4, 0, pad);
    }
    return rr_tail(w, OE_DNS_SEC_ADDITIONAL, at);
}

int oe_dns_writer_finish(oe_dns_writer_t *w, size_t *len)
{
    if (w->err)
        return w->err;
    uint16_t flags = oe_get16(w->base + 2);
    oe_put16(w->base + 2, (uint16_t)((flags & ~0xf) | (w->rcode & 0xf)));
    for (int s = 0; s < 4; s++)
        oe_put16(w->base + 4 + 2 * s, w->count[s]);
    *len = w->len;
    return 0;
}

void oe_dns_writer_init_response(oe_dns_writer_t *w, uint8_t *buf, size_t cap,
                                 const oe_dns_msg_t *query, uint16_t flags, uint16_t rcode)
{
    uint16_t qf = query->hdr.flags;
    uint16_t f = (uint16_t)(OE_DNS_F_QR | (qf & (0xf << 11)) | (qf & (OE_DNS_F_RD | OE_DNS_F_CD)) |
                            (flags & ~(OE_DNS_F_QR | 0xf)));
    oe_dns_writer_init(w, buf, cap, query->hdr.id, f);
    oe_dns_writer_set_rcode(w, rcode);
    w->compress = true;
    oe_dns_iter_t it;
    oe_dns_rr_t q;
    oe_dns_iter_init(&it, query, OE_DNS_SEC_QUESTION);
    while (oe_dns_iter_next(&it, &q) == 1)
        oe_dns_write_question(w, q.name, q.type, q.rclass);
}

int oe_dns_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, oe_dns_name_t qname,
                       uint16_t qtype, const oe_dns_query_opts_t *opts)
{
    static const oe_dns_query_opts_t defaults = {.flags = OE_DNS_F_RD};
    oe_dns_writer_t w;
    if (!opts)
        opts = &defaults;
    if ((opts->dnssec_ok || opts->pad_block) && !opts->udp_size)
        return OE_EINVAL;
    oe_dns_writer_init(&w, buf, cap, id, opts->flags & ~(OE_DNS_F_QR | 0xf));
    oe_dns_write_question(&w, qname, qtype, OE_DNS_C_IN);
    if (opts->udp_size)
        oe_dns_write_opt(&w, opts->udp_size, opts->dnssec_ok ? OE_DNS_OPT_DO : 0, OE_SLICE(NULL, 0),
                         opts->pad_block);
    return oe_dns_writer_finish(&w, len);
}
