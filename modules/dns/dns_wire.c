/*
 * DNS wire-format reader: names (RFC 1035 §3.1, §4.1.4), messages (§4.1), EDNS(0) (RFC 6891).
 */
#include <stdio.h>

#include "dns/dns_wire.h"

const char *oe_dns_strerror(int err)
{
    switch (err) {
    case OE_DNS_EBADKEY:
        return "TSIG: the server does not know the key (BADKEY)";
    case OE_DNS_EBADSIG:
        return "TSIG: the signature does not verify (BADSIG)";
    case OE_DNS_EBADTIME:
        return "TSIG: clocks differ by more than the fudge (BADTIME)";
    case OE_DNS_ETSIG:
        return "TSIG: error in the response's TSIG record";
    case OE_DNS_EUNSIGNED:
        return "TSIG: the response is not signed";
    case OE_DNS_EMAC:
        return "TSIG: the response's MAC does not verify";
    default:
        return oe_strerror(err);
    }
}

/* A walk over the labels of one name. `limit` is the offset every next pointer must stay below:
 * the start of the name, then the target of the last pointer taken (§4.1.4 only allows pointers
 * to a prior occurrence, which makes each hop go strictly backwards). */
typedef struct cursor {
    oe_slice_t msg;
    size_t pos, limit, end;
    unsigned hops;
    size_t total; /* decompressed octets so far */
    bool allow_ptr, jumped;
} cursor_t;

static void cursor_init(cursor_t *c, oe_slice_t msg, size_t off, bool allow_ptr)
{
    *c = (cursor_t){.msg = msg, .pos = off, .limit = off, .allow_ptr = allow_ptr};
}

/* Returns 1 with the next label, 0 after the root label, or an error. */
static int label_next(cursor_t *c, const uint8_t **label, uint8_t *len)
{
    for (;;) {
        if (c->pos >= c->msg.len)
            return OE_ETRUNC;
        uint8_t b = c->msg.base[c->pos];
        if ((b & 0xc0) == 0xc0) {
            if (!c->allow_ptr)
                return OE_EFORMAT;
            if (c->pos + 1 >= c->msg.len)
                return OE_ETRUNC;
            size_t target = (size_t)(b & 0x3f) << 8 | c->msg.base[c->pos + 1];
            if (target >= c->limit || ++c->hops > OE_DNS_PTR_HOPS_MAX)
                return OE_EFORMAT;
            if (!c->jumped) {
                c->end = c->pos + 2;
                c->jumped = true;
            }
            c->pos = c->limit = target;
            continue;
        }
        if (b & 0xc0) /* 01 (extended, RFC 6891 §5) and 10 are not in use */
            return OE_EFORMAT;
        c->total += 1 + (size_t)b;
        if (c->total > OE_DNS_NAME_MAX)
            return OE_EFORMAT;
        if (b == 0) {
            c->pos++;
            if (!c->jumped)
                c->end = c->pos;
            return 0;
        }
        if (c->msg.len - c->pos - 1 < b)
            return OE_ETRUNC;
        *label = c->msg.base + c->pos + 1;
        *len = b;
        c->pos += 1 + (size_t)b;
        return 1;
    }
}

int oe_dns_name_check(oe_slice_t msg, size_t off, bool allow_ptr, size_t *end, size_t *wire_len)
{
    cursor_t c;
    const uint8_t *label;
    uint8_t len;
    int rc;
    cursor_init(&c, msg, off, allow_ptr);
    while ((rc = label_next(&c, &label, &len)) == 1)
        ;
    if (rc < 0)
        return rc;
    if (end)
        *end = c.end;
    if (wire_len)
        *wire_len = c.total;
    return 0;
}

int oe_dns_name_unpack(oe_dns_name_t name, uint8_t out[OE_DNS_NAME_MAX])
{
    cursor_t c;
    const uint8_t *label;
    uint8_t len;
    size_t n = 0;
    int rc;
    cursor_init(&c, name.msg, name.off, true);
    while ((rc = label_next(&c, &label, &len)) == 1) {
        out[n++] = len; /* total <= 255 is checked by label_next */
        memcpy(out + n, label, len);
        n += len;
    }
    if (rc < 0)
        return rc;
    out[n++] = 0;
    return (int)n;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool label_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool oe_dns_name_eq(oe_dns_name_t a, oe_dns_name_t b)
{
    cursor_t ca, cb;
    cursor_init(&ca, a.msg, a.off, true);
    cursor_init(&cb, b.msg, b.off, true);
    for (;;) {
        const uint8_t *la = NULL, *lb = NULL;
        uint8_t na = 0, nb = 0;
        int ra = label_next(&ca, &la, &na), rb = label_next(&cb, &lb, &nb);
        if (ra < 0 || rb < 0 || ra != rb)
            return false;
        if (ra == 0)
            return true;
        if (na != nb || !label_eq(la, lb, na))
            return false;
    }
}

bool oe_dns_name_is_under(oe_dns_name_t name, oe_dns_name_t zone)
{
    uint8_t n[OE_DNS_NAME_MAX], z[OE_DNS_NAME_MAX];
    int nl = oe_dns_name_unpack(name, n), zl = oe_dns_name_unpack(zone, z);
    if (nl < 0 || zl < 0 || zl > nl)
        return false;
    /* Walk name's labels until the remaining suffix is as long as the zone; it must start on a
     * label boundary and be equal. */
    size_t off = 0;
    while ((size_t)nl - off > (size_t)zl)
        off += 1 + (size_t)n[off];
    if ((size_t)nl - off != (size_t)zl)
        return false;
    return oe_dns_name_eq(oe_dns_name_wire(n + off, (size_t)zl), oe_dns_name_wire(z, (size_t)zl));
}

int oe_dns_name_to_text(oe_dns_name_t name, char *out, size_t cap)
{
    cursor_t c;
    const uint8_t *label;
    uint8_t len;
    size_t n = 0;
    int rc;
    bool any = false;
    cursor_init(&c, name.msg, name.off, true);
    while ((rc = label_next(&c, &label, &len)) == 1) {
        any = true;
        for (size_t i = 0; i < len; i++) {
            uint8_t ch = label[i];
            if (cap - n < 6)
                return OE_ESPACE;
            if (ch < 0x21 || ch > 0x7e) {
                n += (size_t)snprintf(out + n, cap - n, "\\%03u", ch);
            } else {
                if (strchr(".\\\"()@$;", ch))
                    out[n++] = '\\';
                out[n++] = (char)ch;
            }
        }
        if (cap - n < 2)
            return OE_ESPACE;
        out[n++] = '.';
    }
    if (rc < 0)
        return rc;
    if (!any) {
        if (cap < 2)
            return OE_ESPACE;
        out[n++] = '.';
    }
    out[n] = '\0';
    return (int)n;
}

int oe_dns_name_from_text(const char *text, size_t len, uint8_t out[OE_DNS_NAME_MAX])
{
    uint8_t label[OE_DNS_LABEL_MAX];
    size_t ll = 0, n = 0, i = 0;
    if (len == 0)
        return OE_EINVAL;
    if (len == 1 && text[0] == '.') {
        out[0] = 0;
        return 1;
    }
    while (i < len) {
        uint8_t ch = (uint8_t)text[i++];
        if (ch == '.') {
            if (ll == 0)
                return OE_EFORMAT; /* empty label: "a..b", ".a" */
            if (n + 1 + ll + 1 > OE_DNS_NAME_MAX)
                return OE_EFORMAT;
            out[n++] = (uint8_t)ll;
            memcpy(out + n, label, ll);
            n += ll;
            ll = 0;
            continue;
        }
        if (ch == '\\') {
            if (i >= len)
                return OE_EFORMAT;
            if (text[i] >= '0' && text[i] <= '9') {
                if (len - i < 3 || text[i + 1] < '0' || text[i + 1] > '9' || text[i + 2] < '0' ||
                    text[i + 2] > '9')
                    return OE_EFORMAT;
                unsigned v = (unsigned)(text[i] - '0') * 100 + (unsigned)(text[i + 1] - '0') * 10 +
                             (unsigned)(text[i + 2] - '0');
                if (v > 255)
                    return OE_EFORMAT;
                ch = (uint8_t)v;
                i += 3;
            } else {
                ch = (uint8_t)text[i++];
            }
        }
        if (ll == OE_DNS_LABEL_MAX)
            return OE_EFORMAT;
        label[ll++] = ch;
    }
    if (ll > 0) { /* no trailing dot: the last label is still open */
        if (n + 1 + ll + 1 > OE_DNS_NAME_MAX)
            return OE_EFORMAT;
        out[n++] = (uint8_t)ll;
        memcpy(out + n, label, ll);
        n += ll;
    }
    out[n++] = 0;
    return (int)n;
}

int oe_dns_rr_read(oe_slice_t msg, size_t *off, bool question, oe_dns_rr_t *rr)
{
    size_t end;
    int rc = oe_dns_name_check(msg, *off, true, &end, NULL);
    if (rc < 0)
        return rc;
    size_t fixed = question ? 4 : 10; /* RFC 1035 §4.1.2, §4.1.3 */
    if (msg.len - end < fixed)
        return OE_ETRUNC;
    const uint8_t *p = msg.base + end;
    *rr = (oe_dns_rr_t){.name = {msg, *off}, .msg = msg};
    rr->type = oe_get16(p);
    rr->rclass = oe_get16(p + 2);
    rr->rdata_off = end + fixed;
    if (question) {
        rr->rdata = OE_SLICE(p + 4, 0);
    } else {
        rr->ttl = oe_get32(p + 4);
        size_t rdlen = oe_get16(p + 8);
        if (msg.len - end - fixed < rdlen)
            return OE_ETRUNC;
        rr->rdata = OE_SLICE(p + 10, rdlen);
    }
    *off = rr->rdata_off + rr->rdata.len;
    return 0;
}

/* Checks `n` names starting at rdata offset `pos` (after `fixed_before` octets), then `fixed_after`
 * octets, and nothing more. Names are bounded by the RDATA: the message is cut at its end, so a
 * name running past it is truncated while pointers to earlier names still resolve. */
static int rdata_names(const oe_dns_rr_t *rr, size_t fixed_before, int n, size_t fixed_after)
{
    size_t end = rr->rdata_off + rr->rdata.len;
    oe_slice_t cut = OE_SLICE(rr->msg.base, end);
    size_t pos = rr->rdata_off + fixed_before;
    if (rr->rdata.len < fixed_before)
        return OE_ETRUNC;
    for (int i = 0; i < n; i++) {
        int rc = oe_dns_name_check(cut, pos, true, &pos, NULL);
        if (rc < 0)
            return rc;
    }
    if (end - pos < fixed_after)
        return OE_ETRUNC;
    return end - pos == fixed_after ? 0 : OE_ETRAILING;
}

int oe_dns_rdata_check(const oe_dns_rr_t *rr)
{
    switch (rr->type) {
    case OE_DNS_T_A: /* RFC 1035 §3.4.1 */
        return rr->rdata.len == 4 ? 0 : OE_EFORMAT;
    case OE_DNS_T_AAAA: /* RFC 3596 §2.2 */
        return rr->rdata.len == 16 ? 0 : OE_EFORMAT;
    case OE_DNS_T_NS:
    case OE_DNS_T_CNAME:
    case OE_DNS_T_PTR:
    case OE_DNS_T_DNAME:
        return rdata_names(rr, 0, 1, 0);
    case OE_DNS_T_MX: /* RFC 1035 §3.3.9 */
        return rdata_names(rr, 2, 1, 0);
    case OE_DNS_T_SOA: /* RFC 1035 §3.3.13 */
        return rdata_names(rr, 0, 2, 20);
    case OE_DNS_T_SRV: /* RFC 2782 */
        return rdata_names(rr, 6, 1, 0);
    default:
        return 0;
    }
}

int oe_dns_opt_next(oe_slice_t *options, uint16_t *code, oe_slice_t *value)
{
    if (options->len == 0)
        return 0;
    if (options->len < 4)
        return OE_ETRUNC;
    size_t len = oe_get16(options->base + 2);
    if (options->len - 4 < len)
        return OE_ETRUNC;
    *code = oe_get16(options->base);
    *value = OE_SLICE(options->base + 4, len);
    options->base += 4 + len;
    options->len -= 4 + len;
    return 1;
}

/* RFC 6891 §6.1.2: owner root, CLASS = payload size, TTL = ext-rcode | version | DO | Z. */
static int parse_opt(oe_dns_msg_t *m, const oe_dns_rr_t *rr)
{
    if (m->has_opt || rr->section != OE_DNS_SEC_ADDITIONAL)
        return OE_EFORMAT;
    if (rr->name.off >= m->wire.len || m->wire.base[rr->name.off] != 0)
        return OE_EFORMAT;
    oe_slice_t opts = rr->rdata;
    uint16_t code;
    oe_slice_t value;
    int rc;
    while ((rc = oe_dns_opt_next(&opts, &code, &value)) == 1)
        ;
    if (rc < 0)
        return rc;
    m->has_opt = true;
    m->opt = (oe_dns_opt_t){.udp_size = rr->rclass,
                            .ext_rcode = (uint8_t)(rr->ttl >> 24),
                            .version = (uint8_t)(rr->ttl >> 16),
                            .flags = (uint16_t)rr->ttl,
                            .options = rr->rdata};
    return 0;
}

int oe_dns_msg_parse(oe_dns_msg_t *m, oe_slice_t wire)
{
    memset(m, 0, sizeof(*m));
    m->wire = wire;
    if (wire.len < OE_DNS_HEADER_LEN)
        return OE_ETRUNC;
    m->hdr.id = oe_get16(wire.base);
    m->hdr.flags = oe_get16(wire.base + 2);
    for (int s = 0; s < 4; s++)
        m->hdr.count[s] = oe_get16(wire.base + 4 + 2 * s);

    size_t off = OE_DNS_HEADER_LEN;
    for (int s = 0; s < 4; s++) {
        m->sec_off[s] = off;
        for (unsigned i = 0; i < m->hdr.count[s]; i++) {
            oe_dns_rr_t rr;
            size_t start = off;
            int rc = oe_dns_rr_read(wire, &off, s == OE_DNS_SEC_QUESTION, &rr);
            if (rc < 0)
                return rc;
            rr.section = (oe_dns_section_t)s;
            if (s == OE_DNS_SEC_QUESTION)
                continue;
            if (rr.type == OE_DNS_T_OPT) {
                rc = parse_opt(m, &rr);
            } else if (rr.type == OE_DNS_T_TSIG) {
                /* RFC 8945 §5.1: the last record of the additional section, class ANY. */
                if (s != OE_DNS_SEC_ADDITIONAL || i + 1 != m->hdr.count[s] ||
                    rr.rclass != OE_DNS_C_ANY)
                    return OE_EFORMAT;
                m->has_tsig = true;
                m->tsig_off = start;
            } else {
                rc = oe_dns_rdata_check(&rr);
            }
            if (rc < 0)
                return rc;
        }
    }
    if (off != wire.len)
        return OE_ETRAILING;
    m->rcode = (uint16_t)((m->hdr.flags & 0xf) | (m->has_opt ? m->opt.ext_rcode << 4 : 0));
    return 0;
}

int oe_dns_msg_question(const oe_dns_msg_t *m, oe_dns_rr_t *q)
{
    if (m->hdr.count[OE_DNS_SEC_QUESTION] == 0)
        return OE_EFORMAT;
    size_t off = m->sec_off[OE_DNS_SEC_QUESTION];
    int rc = oe_dns_rr_read(m->wire, &off, true, q);
    q->section = OE_DNS_SEC_QUESTION;
    return rc;
}

void oe_dns_iter_init(oe_dns_iter_t *it, const oe_dns_msg_t *m, oe_dns_section_t section)
{
    it->m = m;
    if (section == OE_DNS_SEC_ALL) {
        it->section = OE_DNS_SEC_ANSWER;
        it->last_section = OE_DNS_SEC_ADDITIONAL;
    } else {
        it->section = it->last_section = section;
    }
    it->off = m->sec_off[it->section];
    it->left = m->hdr.count[it->section];
}

int oe_dns_iter_next(oe_dns_iter_t *it, oe_dns_rr_t *rr)
{
    while (it->left == 0) {
        if (it->section >= it->last_section)
            return 0;
        it->section++;
        it->off = it->m->sec_off[it->section];
        it->left = it->m->hdr.count[it->section];
    }
    int rc = oe_dns_rr_read(it->m->wire, &it->off, it->section == OE_DNS_SEC_QUESTION, rr);
    if (rc < 0)
        return rc;
    rr->section = (oe_dns_section_t)it->section;
    it->left--;
    return 1;
}

int oe_dns_first_answer(oe_slice_t answer, uint16_t type, size_t rdlen, oe_slice_t *rdata)
{
    oe_dns_msg_t m;
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    int rc = oe_dns_msg_parse(&m, answer);
    if (rc < 0)
        return rc;
    oe_dns_iter_init(&it, &m, OE_DNS_SEC_ANSWER);
    while ((rc = oe_dns_iter_next(&it, &rr)) == 1) {
        if (rr.type == type && rr.rdata.len == rdlen) {
            *rdata = rr.rdata;
            return 1;
        }
    }
    return rc;
}

__attribute__((constructor)) static void register_errors(void)
{
    oe_strerror_register(500, 599, oe_dns_strerror);
}
