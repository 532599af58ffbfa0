/*
 * Presentation format: RFC 1035 §5.1 (master files), RFC 3597 §5 (unknown types), RFC 9460 §2.1
 * (SVCB/HTTPS, in dns_svcb.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "dns/dns_svcb.h"
#include "dns/dns_text.h"
#include "crypto/encode.h"

static const struct {
    uint16_t type;
    const char *name;
} types[] = {
    {OE_DNS_T_A, "A"},
    {OE_DNS_T_NS, "NS"},
    {OE_DNS_T_CNAME, "CNAME"},
    {OE_DNS_T_SOA, "SOA"},
    {OE_DNS_T_PTR, "PTR"},
    {13, "HINFO"},
    {OE_DNS_T_MX, "MX"},
    {OE_DNS_T_TXT, "TXT"},
    {OE_DNS_T_AAAA, "AAAA"},
    {OE_DNS_T_SRV, "SRV"},
    {35, "NAPTR"},
    {OE_DNS_T_DNAME, "DNAME"},
    {OE_DNS_T_OPT, "OPT"},
    {43, "DS"},
    {46, "RRSIG"},
    {47, "NSEC"},
    {48, "DNSKEY"},
    {50, "NSEC3"},
    {51, "NSEC3PARAM"},
    {52, "TLSA"},
    {OE_DNS_T_SVCB, "SVCB"},
    {OE_DNS_T_HTTPS, "HTTPS"},
    {OE_DNS_T_TSIG, "TSIG"},
    {251, "IXFR"},
    {252, "AXFR"},
    {OE_DNS_T_ANY, "ANY"},
    {257, "CAA"},
};

const char *oe_dns_type_name(uint16_t type)
{
    for (size_t i = 0; i < OE_ARRAY_SIZE(types); i++)
        if (types[i].type == type)
            return types[i].name;
    return NULL;
}

/* Parses a decimal number of at most `max`; the whole string must be digits. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return OE_EFORMAT;
    errno = 0;
    *v = strtoul(s, &end, 10);
    return *end || errno || *v > max ? OE_EFORMAT : 0;
}

int oe_dns_type_from_text(const char *s, uint16_t *type)
{
    unsigned long v;
    for (size_t i = 0; i < OE_ARRAY_SIZE(types); i++)
        if (strcasecmp(types[i].name, s) == 0) {
            *type = types[i].type;
            return 0;
        }
    if (strncasecmp(s, "TYPE", 4) == 0 && parse_uint(s + 4, 65535, &v) == 0) {
        *type = (uint16_t)v;
        return 0;
    }
    return OE_EFORMAT;
}

const char *oe_dns_rcode_name(uint16_t rcode)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                        "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode < OE_ARRAY_SIZE(names))
        return names[rcode];
    switch (rcode) {
    case 16:
        return "BADVERS"; /* BADSIG in a TSIG error field */
    case 17:
        return "BADKEY";
    case 18:
        return "BADTIME";
    case 22:
        return "BADTRUNC";
    case 23:
        return "BADCOOKIE";
    default:
        return NULL;
    }
}

static void print_class(oe_buf_t *out, uint16_t c)
{
    switch (c) {
    case OE_DNS_C_IN:
        oe_buf_printf(out, "IN");
        break;
    case 3:
        oe_buf_printf(out, "CH");
        break;
    case OE_DNS_C_NONE:
        oe_buf_printf(out, "NONE");
        break;
    case OE_DNS_C_ANY:
        oe_buf_printf(out, "ANY");
        break;
    default:
        oe_buf_printf(out, "CLASS%u", c);
    }
}

static void print_type(oe_buf_t *out, uint16_t t)
{
    const char *n = oe_dns_type_name(t);
    if (n)
        oe_buf_printf(out, "%s", n);
    else
        oe_buf_printf(out, "TYPE%u", t);
}

void oe_dns_print_charstring(oe_buf_t *out, oe_slice_t v)
{
    oe_buf_append(out, "\"", 1);
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.base[i];
        if (c == '"' || c == '\\')
            oe_buf_printf(out, "\\%c", c);
        else if (c < 0x20 || c > 0x7e)
            oe_buf_printf(out, "\\%03u", c);
        else
            oe_buf_append(out, &c, 1);
    }
    oe_buf_append(out, "\"", 1);
}

int oe_dns_unescape(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '\\') {
            if (i + 1 >= len)
                return OE_EFORMAT;
            if (s[i + 1] >= '0' && s[i + 1] <= '9') {
                if (len - i < 4 || s[i + 2] < '0' || s[i + 2] > '9' || s[i + 3] < '0' ||
                    s[i + 3] > '9')
                    return OE_EFORMAT;
                unsigned v = (unsigned)(s[i + 1] - '0') * 100 + (unsigned)(s[i + 2] - '0') * 10 +
                             (unsigned)(s[i + 3] - '0');
                if (v > 255)
                    return OE_EFORMAT;
                c = (uint8_t)v;
                i += 3;
            } else {
                c = (uint8_t)s[++i];
            }
        }
        if (n == cap)
            return OE_ESPACE;
        out[n++] = c;
    }
    return (int)n;
}

static void print_name_at(oe_buf_t *out, oe_slice_t msg, size_t off)
{
    char text[OE_DNS_NAME_TEXT_MAX];
    if (oe_dns_name_to_text((oe_dns_name_t){msg, off}, text, sizeof(text)) < 0)
        oe_buf_printf(out, "<bad name>"); /* unreachable after oe_dns_rdata_check */
    else
        oe_buf_printf(out, "%s", text);
}

static void print_generic_rdata(oe_buf_t *out, oe_slice_t rdata)
{
    /* RFC 3597 §5; upper-case hex as dig and kdig print it. */
    oe_buf_printf(out, "\\# %zu", rdata.len);
    if (rdata.len)
        oe_buf_append(out, " ", 1);
    for (size_t i = 0; i < rdata.len; i++)
        oe_buf_printf(out, "%02X", rdata.base[i]);
}

/* TXT RDATA (RFC 1035 §3.3.14): one or more <character-string>s. */
static bool txt_valid(oe_slice_t r)
{
    if (r.len == 0)
        return false;
    for (size_t i = 0; i < r.len; i += 1 + (size_t)r.base[i])
        if (r.len - i - 1 < r.base[i])
            return false;
    return true;
}

void oe_dns_rdata_print(oe_buf_t *out, const oe_dns_rr_t *rr)
{
    oe_slice_t r = rr->rdata;
    /* Names are printed through a view cut at the end of RDATA, as oe_dns_rdata_check saw it. */
    oe_slice_t cut = OE_SLICE(rr->msg.base, rr->rdata_off + r.len);
    size_t pos = rr->rdata_off, next;
    char a[INET6_ADDRSTRLEN];
    size_t before = out->len;

    if (oe_dns_rdata_check(rr) < 0)
        goto generic;
    switch (rr->type) {
    case OE_DNS_T_A:
    case OE_DNS_T_AAAA:
        inet_ntop(rr->type == OE_DNS_T_A ? AF_INET : AF_INET6, r.base, a, sizeof(a));
        oe_buf_printf(out, "%s", a);
        return;
    case OE_DNS_T_NS:
    case OE_DNS_T_CNAME:
    case OE_DNS_T_PTR:
    case OE_DNS_T_DNAME:
        print_name_at(out, cut, pos);
        return;
    case OE_DNS_T_MX:
        oe_buf_printf(out, "%u ", oe_get16(r.base));
        print_name_at(out, cut, pos + 2);
        return;
    case OE_DNS_T_SRV:
        oe_buf_printf(out, "%u %u %u ", oe_get16(r.base), oe_get16(r.base + 2),
                      oe_get16(r.base + 4));
        print_name_at(out, cut, pos + 6);
        return;
    case OE_DNS_T_SOA: {
        print_name_at(out, cut, pos);
        oe_dns_name_check(cut, pos, true, &next, NULL);
        oe_buf_append(out, " ", 1);
        print_name_at(out, cut, next);
        oe_dns_name_check(cut, next, true, &next, NULL);
        const uint8_t *p = rr->msg.base + next;
        oe_buf_printf(out, " %u %u %u %u %u", oe_get32(p), oe_get32(p + 4), oe_get32(p + 8),
                      oe_get32(p + 12), oe_get32(p + 16));
        return;
    }
    case OE_DNS_T_TXT:
        if (!txt_valid(r))
            goto generic;
        for (size_t i = 0; i < r.len; i += 1 + (size_t)r.base[i]) {
            if (i)
                oe_buf_append(out, " ", 1);
            oe_dns_print_charstring(out, OE_SLICE(r.base + i + 1, r.base[i]));
        }
        return;
    case OE_DNS_T_SVCB:
    case OE_DNS_T_HTTPS:
        if (oe_dns_svcb_print(out, r) == 0)
            return;
        out->len = before;
        goto generic;
    default:
        goto generic;
    }
generic:
    print_generic_rdata(out, r);
}

void oe_dns_rr_print(oe_buf_t *out, const oe_dns_rr_t *rr)
{
    char name[OE_DNS_NAME_TEXT_MAX];
    if (oe_dns_name_to_text(rr->name, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "<bad name>");
    if (rr->section == OE_DNS_SEC_QUESTION) {
        oe_buf_printf(out, ";%s\t\t", name);
        print_class(out, rr->rclass);
        oe_buf_append(out, "\t", 1);
        print_type(out, rr->type);
        return;
    }
    oe_buf_printf(out, "%s\t%u\t", name, rr->ttl);
    print_class(out, rr->rclass);
    oe_buf_append(out, "\t", 1);
    print_type(out, rr->type);
    oe_buf_append(out, "\t", 1);
    oe_dns_rdata_print(out, rr);
}

void oe_dns_rr_print_generic(oe_buf_t *out, const oe_dns_rr_t *rr)
{
    char name[OE_DNS_NAME_TEXT_MAX];
    if (oe_dns_name_to_text(rr->name, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "<bad name>");
    oe_buf_printf(out, "%s %u ", name, rr->ttl);
    print_class(out, rr->rclass);
    oe_buf_append(out, " ", 1);
    print_type(out, rr->type);
    oe_buf_append(out, " ", 1);
    print_generic_rdata(out, rr->rdata);
}

/* ---- parsing ------------------------------------------------------------------------------ */

#define MAXTOK 64

typedef struct tokens {
    char buf[8192];
    char *tok[MAXTOK];
    bool quoted[MAXTOK]; /* the token had a quoted part */
    size_t n;
} tokens_t;

/* Splits a line into tokens: quotes removed (a quoted part may sit inside a token, as in
 * key7="/x"), escapes kept for the per-field decoders, ';' outside quotes ends the line. */
static int tokenize(const char *line, tokens_t *t, char *err, size_t errcap)
{
    size_t n = 0;
    const char *p = line;
    t->n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0' || *p == ';')
            return 0;
        if (t->n == MAXTOK) {
            snprintf(err, errcap, "too many fields");
            return OE_EFORMAT;
        }
        t->tok[t->n] = t->buf + n;
        t->quoted[t->n] = false;
        bool inq = false;
        while (*p && (inq || (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ';'))) {
            if (n + 3 >= sizeof(t->buf)) {
                snprintf(err, errcap, "line too long");
                return OE_EFORMAT;
            }
            if (*p == '"') {
                inq = !inq;
                t->quoted[t->n] = true;
                p++;
                continue;
            }
            if (!inq && (*p == '(' || *p == ')')) {
                snprintf(err, errcap, "parentheses (multi-line records) are not supported");
                return OE_EFORMAT;
            }
            if (*p == '\\' && p[1]) {
                t->buf[n++] = *p++;
            }
            t->buf[n++] = *p++;
        }
        if (inq) {
            snprintf(err, errcap, "unterminated quoted string");
            return OE_EFORMAT;
        }
        t->buf[n++] = '\0';
        t->n++;
    }
}

/* A TTL: seconds, or numbers with s/m/h/d/w units ("1h30m"). */
static int parse_ttl(const char *s, uint32_t *ttl)
{
    uint64_t total = 0, cur = 0;
    bool digits = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            cur = cur * 10 + (uint64_t)(*s - '0');
            digits = true;
            if (cur > UINT32_MAX)
                return OE_EFORMAT;
            continue;
        }
        uint64_t mul;
        switch (*s | 0x20) {
        case 's':
            mul = 1;
            break;
        case 'm':
            mul = 60;
            break;
        case 'h':
            mul = 3600;
            break;
        case 'd':
            mul = 86400;
            break;
        case 'w':
            mul = 604800;
            break;
        default:
            return OE_EFORMAT;
        }
        if (!digits)
            return OE_EFORMAT;
        total += cur * mul;
        cur = 0;
        digits = false;
    }
    total += cur;
    if (total > 0x7fffffff) /* RFC 2181 §8 */
        return OE_EFORMAT;
    *ttl = (uint32_t)total;
    return 0;
}

#define ERR(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, errcap, __VA_ARGS__);                                                        \
        return OE_EFORMAT;                                                                         \
    } while (0)

static int need(size_t have, size_t want, const char *type, char *err, size_t errcap)
{
    if (have != want)
        ERR("%s needs %zu field%s after the type, got %zu", type, want, want == 1 ? "" : "s", have);
    return 0;
}

static int put_name_text(oe_dns_rr_text_t *o, const char *s, char *err, size_t errcap)
{
    uint8_t wire[OE_DNS_NAME_MAX];
    int n = oe_dns_name_from_text(s, strlen(s), wire);
    if (n < 0)
        ERR("bad domain name \"%s\"", s);
    if (sizeof(o->rdata) - o->rdlen < (size_t)n)
        ERR("RDATA too long");
    memcpy(o->rdata + o->rdlen, wire, (size_t)n);
    o->rdlen += (size_t)n;
    return 0;
}

static int put_num(oe_dns_rr_text_t *o, const char *s, int bytes, const char *what, char *err,
                   size_t errcap)
{
    unsigned long v;
    if (parse_uint(s, bytes == 2 ? 65535 : UINT32_MAX, &v) < 0)
        ERR("bad %s \"%s\"", what, s);
    if (bytes == 2)
        oe_put16(o->rdata + o->rdlen, (uint16_t)v);
    else
        oe_put32(o->rdata + o->rdlen, (uint32_t)v);
    o->rdlen += (size_t)bytes;
    return 0;
}

/* RFC 3597 §5: "\# LEN HEX..." with the hex possibly split into several fields. */
static int parse_generic(oe_dns_rr_text_t *o, char *const *f, size_t n, char *err, size_t errcap)
{
    unsigned long len;
    if (n < 1 || parse_uint(f[0], 65535, &len) < 0)
        ERR("\\# needs a decimal RDATA length");
    if (len > sizeof(o->rdata))
        ERR("RDATA too long");
    size_t got = 0;
    for (size_t i = 1; i < n; i++) {
        size_t l = strlen(f[i]);
        if (l % 2 || got + l / 2 > len)
            ERR("hex RDATA does not match the length %lu", len);
        int rc = oe_hex_decode(o->rdata + got, sizeof(o->rdata) - got, f[i], l);
        if (rc < 0)
            ERR("bad hex \"%s\"", f[i]);
        got += (size_t)rc;
    }
    if (got != len)
        ERR("hex RDATA has %zu octets, the length says %lu", got, len);
    o->rdlen = len;
    return 0;
}

static int parse_rdata(oe_dns_rr_text_t *o, const char *tname, char *const *f, size_t n, char *err,
                       size_t errcap)
{
    int rc;
    switch (o->type) {
    case OE_DNS_T_A:
    case OE_DNS_T_AAAA:
        if ((rc = need(n, 1, tname, err, errcap)))
            return rc;
        if (inet_pton(o->type == OE_DNS_T_A ? AF_INET : AF_INET6, f[0], o->rdata) != 1)
            ERR("bad %s address \"%s\"", o->type == OE_DNS_T_A ? "IPv4" : "IPv6", f[0]);
        o->rdlen = o->type == OE_DNS_T_A ? 4 : 16;
        return 0;
    case OE_DNS_T_NS:
    case OE_DNS_T_CNAME:
    case OE_DNS_T_PTR:
    case OE_DNS_T_DNAME:
        if ((rc = need(n, 1, tname, err, errcap)))
            return rc;
        return put_name_text(o, f[0], err, errcap);
    case OE_DNS_T_MX:
        if ((rc = need(n, 2, tname, err, errcap)) ||
            (rc = put_num(o, f[0], 2, "preference", err, errcap)))
            return rc;
        return put_name_text(o, f[1], err, errcap);
    case OE_DNS_T_SRV:
        if ((rc = need(n, 4, tname, err, errcap)) ||
            (rc = put_num(o, f[0], 2, "priority", err, errcap)) ||
            (rc = put_num(o, f[1], 2, "weight", err, errcap)) ||
            (rc = put_num(o, f[2], 2, "port", err, errcap)))
            return rc;
        return put_name_text(o, f[3], err, errcap);
    case OE_DNS_T_SOA:
        if ((rc = need(n, 7, tname, err, errcap)) || (rc = put_name_text(o, f[0], err, errcap)) ||
            (rc = put_name_text(o, f[1], err, errcap)))
            return rc;
        for (size_t i = 2; i < 7; i++) {
            uint32_t v;
            unsigned long u;
            if (i == 2 && parse_uint(f[i], UINT32_MAX, &u) == 0) /* the serial has no units */
                v = (uint32_t)u;
            else if (i == 2 || parse_ttl(f[i], &v) < 0)
                ERR("bad SOA number \"%s\"", f[i]);
            oe_put32(o->rdata + o->rdlen, v);
            o->rdlen += 4;
        }
        return 0;
    case OE_DNS_T_TXT:
        if (n == 0)
            ERR("TXT needs at least one string");
        for (size_t i = 0; i < n; i++) {
            uint8_t s[1024];
            int l = oe_dns_unescape(f[i], strlen(f[i]), s, sizeof(s));
            if (l < 0)
                ERR("bad escape in \"%s\"", f[i]);
            if (l > 255)
                ERR("TXT string longer than 255 octets (split it into several strings)");
            if (sizeof(o->rdata) - o->rdlen < (size_t)l + 1)
                ERR("RDATA too long");
            o->rdata[o->rdlen++] = (uint8_t)l;
            memcpy(o->rdata + o->rdlen, s, (size_t)l);
            o->rdlen += (size_t)l;
        }
        return 0;
    case OE_DNS_T_SVCB:
    case OE_DNS_T_HTTPS:
        rc = oe_dns_svcb_from_text((const char *const *)f, n, o->rdata, sizeof(o->rdata), err,
                                   errcap);
        if (rc < 0)
            return OE_EFORMAT;
        o->rdlen = (size_t)rc;
        return 0;
    default:
        ERR("type %s needs the generic form \\# LEN HEX", tname);
    }
}

int oe_dns_rr_from_text(const char *line, oe_dns_rr_text_t *out, char *err, size_t errcap)
{
    tokens_t *t = oe_malloc(sizeof(*t));
    int rc = OE_EFORMAT, n;
    size_t i = 1;
    bool have_ttl = false, have_class = false;

    memset(out, 0, sizeof(*out));
    out->rclass = OE_DNS_C_IN;
    out->ttl = OE_DNS_TEXT_DEFAULT_TTL;
    if (errcap)
        err[0] = '\0';
    if (tokenize(line, t, err, errcap) < 0)
        goto out;
    if (t->n == 0) {
        snprintf(err, errcap, "empty record");
        goto out;
    }
    if ((n = oe_dns_name_from_text(t->tok[0], strlen(t->tok[0]), out->owner)) < 0) {
        snprintf(err, errcap, "bad owner name \"%s\"", t->tok[0]);
        goto out;
    }
    out->owner_len = (size_t)n;
    for (; i < t->n && i < 3; i++) {
        const char *f = t->tok[i];
        if (!have_ttl && f[0] >= '0' && f[0] <= '9') {
            if (parse_ttl(f, &out->ttl) < 0) {
                snprintf(err, errcap, "bad TTL \"%s\"", f);
                goto out;
            }
            have_ttl = true;
        } else if (!have_class && (strcasecmp(f, "IN") == 0 || strcasecmp(f, "CLASS1") == 0)) {
            have_class = true;
        } else if (!have_class && (strcasecmp(f, "CH") == 0 || strcasecmp(f, "HS") == 0 ||
                                   strncasecmp(f, "CLASS", 5) == 0)) {
            snprintf(err, errcap, "class \"%s\": only IN is supported", f);
            goto out;
        } else {
            break;
        }
    }
    if (i >= t->n) {
        snprintf(err, errcap, "missing record type");
        goto out;
    }
    const char *tname = t->tok[i++];
    if (oe_dns_type_from_text(tname, &out->type) < 0) {
        snprintf(err, errcap, "unknown record type \"%s\"", tname);
        goto out;
    }
    if (out->type == OE_DNS_T_OPT || out->type == OE_DNS_T_TSIG || out->type == OE_DNS_T_ANY ||
        out->type == 251 || out->type == 252) {
        snprintf(err, errcap, "type %s cannot be data", tname);
        goto out;
    }
    if (i < t->n && strcmp(t->tok[i], "\\#") == 0 && !t->quoted[i])
        rc = parse_generic(out, t->tok + i + 1, t->n - i - 1, err, errcap);
    else
        rc = parse_rdata(out, tname, t->tok + i, t->n - i, err, errcap);
    if (rc == 0) {
        /* The result must read back: the same checks as for received records. */
        oe_dns_rr_t rr = oe_dns_rr_text_view(out);
        oe_dns_svcb_t s;
        if (oe_dns_rdata_check(&rr) < 0 ||
            ((out->type == OE_DNS_T_SVCB || out->type == OE_DNS_T_HTTPS) &&
             oe_dns_svcb_parse(rr.rdata, &s) < 0)) {
            snprintf(err, errcap, "RDATA is not valid for type %s", tname);
            rc = OE_EFORMAT;
        }
    }
out:
    free(t);
    return rc;
}
