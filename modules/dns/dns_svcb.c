/*
 * SVCB/HTTPS RDATA (RFC 9460 §2.2, §7; RFC 9461 §5 for dohpath).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns_svcb.h"
#include "dns/dns_text.h"

int oe_dns_svcb_param_next(oe_slice_t *params, uint16_t *key, oe_slice_t *value)
{
    if (params->len == 0)
        return 0;
    if (params->len < 4)
        return OE_ETRUNC;
    size_t len = oe_get16(params->base + 2);
    if (params->len - 4 < len)
        return OE_ETRUNC;
    *key = oe_get16(params->base);
    *value = OE_SLICE(params->base + 4, len);
    params->base += 4 + len;
    params->len -= 4 + len;
    return 1;
}

/* RFC 9460 §7: the wire format of each key this module knows. */
static int check_value(uint16_t key, oe_slice_t v)
{
    switch (key) {
    case OE_SVCB_MANDATORY: /* §8: non-empty, increasing, never lists itself */
        if (v.len == 0 || v.len % 2)
            return OE_EFORMAT;
        for (size_t i = 0; i < v.len; i += 2) {
            uint16_t k = oe_get16(v.base + i);
            if (k == OE_SVCB_MANDATORY || (i && k <= oe_get16(v.base + i - 2)))
                return OE_EFORMAT;
        }
        return 0;
    case OE_SVCB_ALPN: /* §7.1.2: non-empty list of non-empty length-prefixed ids */
        if (v.len == 0)
            return OE_EFORMAT;
        for (size_t i = 0; i < v.len; i += 1 + (size_t)v.base[i])
            if (v.base[i] == 0 || v.len - i - 1 < v.base[i])
                return OE_EFORMAT;
        return 0;
    case OE_SVCB_NO_DEFAULT_ALPN:
        return v.len == 0 ? 0 : OE_EFORMAT;
    case OE_SVCB_PORT:
        return v.len == 2 ? 0 : OE_EFORMAT;
    case OE_SVCB_IPV4HINT:
        return v.len && v.len % 4 == 0 ? 0 : OE_EFORMAT;
    case OE_SVCB_IPV6HINT:
        return v.len && v.len % 16 == 0 ? 0 : OE_EFORMAT;
    case OE_SVCB_DOHPATH: /* RFC 9461 §5: a URI template, so never empty */
        return v.len ? 0 : OE_EFORMAT;
    default: /* ech, odohconfig and unknown keys are opaque */
        return 0;
    }
}

int oe_dns_svcb_parse(oe_slice_t rdata, oe_dns_svcb_t *out)
{
    size_t end;
    if (rdata.len < 2)
        return OE_ETRUNC;
    int rc = oe_dns_name_check(rdata, 2, false, &end, NULL); /* §2.2: no compression */
    if (rc < 0)
        return rc;
    out->priority = oe_get16(rdata.base);
    out->target = (oe_dns_name_t){rdata, 2};
    out->params = OE_SLICE(rdata.base + end, rdata.len - end);

    oe_slice_t p = out->params;
    uint16_t key;
    oe_slice_t value;
    int32_t last = -1;
    while ((rc = oe_dns_svcb_param_next(&p, &key, &value)) == 1) {
        if ((int32_t)key <= last) /* §2.2: strictly increasing, so no duplicates either */
            return OE_EFORMAT;
        last = key;
        if ((rc = check_value(key, value)) < 0)
            return rc;
    }
    return rc;
}

int oe_dns_svcb_param_get(const oe_dns_svcb_t *svcb, uint16_t key, oe_slice_t *value)
{
    oe_slice_t p = svcb->params;
    uint16_t k;
    int rc;
    while ((rc = oe_dns_svcb_param_next(&p, &k, value)) == 1)
        if (k == key)
            return 1;
    return rc;
}

/* ---- encoder ---------------------------------------------------------------------------- */

static int sfail(oe_dns_svcb_writer_t *b, int err)
{
    if (!b->err)
        b->err = err;
    return b->err;
}

static int sput(oe_dns_svcb_writer_t *b, const void *p, size_t n)
{
    if (b->err)
        return b->err;
    if (b->cap - b->len < n)
        return sfail(b, OE_ESPACE);
    if (n)
        memcpy(b->base + b->len, p, n);
    b->len += n;
    return 0;
}

void oe_dns_svcb_begin(oe_dns_svcb_writer_t *b, uint8_t *buf, size_t cap, uint16_t priority,
                       oe_dns_name_t target)
{
    uint8_t wire[OE_DNS_NAME_MAX], prio[2];
    *b = (oe_dns_svcb_writer_t){.base = buf, .cap = cap, .last_key = -1};
    int n = oe_dns_name_unpack(target, wire);
    if (n < 0) {
        sfail(b, OE_EFORMAT);
        return;
    }
    oe_put16(prio, priority);
    sput(b, prio, 2);
    sput(b, wire, (size_t)n);
}

/* Starts a param: checks the order and writes key and length. */
static int param_head(oe_dns_svcb_writer_t *b, uint16_t key, size_t len)
{
    uint8_t h[4];
    if (b->err)
        return b->err;
    if ((int32_t)key <= b->last_key || len > UINT16_MAX)
        return sfail(b, OE_EINVAL);
    b->last_key = key;
    oe_put16(h, key);
    oe_put16(h + 2, (uint16_t)len);
    return sput(b, h, 4);
}

int oe_dns_svcb_add(oe_dns_svcb_writer_t *b, uint16_t key, oe_slice_t value)
{
    if (param_head(b, key, value.len))
        return b->err;
    return sput(b, value.base, value.len);
}

int oe_dns_svcb_add_alpn(oe_dns_svcb_writer_t *b, const char *const *ids, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        if (l == 0 || l > 255)
            return sfail(b, OE_EINVAL);
        len += 1 + l;
    }
    if (n == 0 || param_head(b, OE_SVCB_ALPN, len))
        return sfail(b, OE_EINVAL);
    for (size_t i = 0; i < n; i++) {
        uint8_t l = (uint8_t)strlen(ids[i]);
        sput(b, &l, 1);
        sput(b, ids[i], l);
    }
    return b->err;
}

int oe_dns_svcb_add_port(oe_dns_svcb_writer_t *b, uint16_t port)
{
    uint8_t v[2];
    oe_put16(v, port);
    return oe_dns_svcb_add(b, OE_SVCB_PORT, OE_SLICE(v, 2));
}

int oe_dns_svcb_add_hints(oe_dns_svcb_writer_t *b, uint16_t key, const uint8_t *addrs, size_t n)
{
    size_t each = key == OE_SVCB_IPV4HINT ? 4 : key == OE_SVCB_IPV6HINT ? 16 : 0;
    if (!each || n == 0)
        return sfail(b, OE_EINVAL);
    return oe_dns_svcb_add(b, key, OE_SLICE(addrs, each * n));
}

int oe_dns_svcb_end(oe_dns_svcb_writer_t *b, size_t *len)
{
    if (b->err)
        return b->err;
    *len = b->len;
    return 0;
}

/* ---- presentation ----------------------------------------------------------------------- */

static const struct {
    uint16_t key;
    const char *name;
} key_names[] = {
    /* dohpath (7) and odohconfig (32769) deliberately print as key7 / key32769, which every
     * parser accepts and is what kdig prints. */
    {OE_SVCB_MANDATORY, "mandatory"},
    {OE_SVCB_ALPN, "alpn"},
    {OE_SVCB_NO_DEFAULT_ALPN, "no-default-alpn"},
    {OE_SVCB_PORT, "port"},
    {OE_SVCB_IPV4HINT, "ipv4hint"},
    {OE_SVCB_ECH, "ech"},
    {OE_SVCB_IPV6HINT, "ipv6hint"},
};

static void print_key(oe_buf_t *out, uint16_t key)
{
    for (size_t i = 0; i < OE_ARRAY_SIZE(key_names); i++)
        if (key_names[i].key == key) {
            oe_buf_printf(out, "%s", key_names[i].name);
            return;
        }
    oe_buf_printf(out, "key%u", key);
}

static void base64(oe_buf_t *out, oe_slice_t v)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < v.len; i += 3) {
        uint32_t n = (uint32_t)v.base[i] << 16;
        if (i + 1 < v.len)
            n |= (uint32_t)v.base[i + 1] << 8;
        if (i + 2 < v.len)
            n |= v.base[i + 2];
        char c[4] = {tab[n >> 18], tab[(n >> 12) & 63], i + 1 < v.len ? tab[(n >> 6) & 63] : '=',
                     i + 2 < v.len ? tab[n & 63] : '='};
        oe_buf_append(out, c, 4);
    }
}

int oe_dns_svcb_print(oe_buf_t *out, oe_slice_t rdata)
{
    oe_dns_svcb_t s;
    char name[OE_DNS_NAME_TEXT_MAX];
    int rc = oe_dns_svcb_parse(rdata, &s);
    if (rc < 0)
        return rc;
    if ((rc = oe_dns_name_to_text(s.target, name, sizeof(name))) < 0)
        return rc;
    oe_buf_printf(out, "%u %s", s.priority, name);

    oe_slice_t p = s.params, v;
    uint16_t key;
    while (oe_dns_svcb_param_next(&p, &key, &v) == 1) {
        oe_buf_append(out, " ", 1);
        print_key(out, key);
        if (key == OE_SVCB_NO_DEFAULT_ALPN)
            continue;
        oe_buf_append(out, "=", 1);
        switch (key) {
        case OE_SVCB_MANDATORY:
            for (size_t i = 0; i < v.len; i += 2) {
                if (i)
                    oe_buf_append(out, ",", 1);
                print_key(out, oe_get16(v.base + i));
            }
            break;
        case OE_SVCB_ALPN:
            /* RFC 9460 Appendix A.1: a comma inside an id is "\\," and a backslash "\\\\". */
            for (size_t i = 0; i < v.len; i += 1 + (size_t)v.base[i]) {
                if (i)
                    oe_buf_append(out, ",", 1);
                for (size_t j = 0; j < v.base[i]; j++) {
                    uint8_t c = v.base[i + 1 + j];
                    if (c == ',')
                        oe_buf_printf(out, "\\\\,");
                    else if (c == '\\')
                        oe_buf_printf(out, "\\\\\\\\");
                    else if (c < 0x21 || c > 0x7e || c == '"' || c == ';' || c == '(' || c == ')')
                        oe_buf_printf(out, "\\%03u", c);
                    else
                        oe_buf_append(out, &c, 1);
                }
            }
            break;
        case OE_SVCB_PORT:
            oe_buf_printf(out, "%u", oe_get16(v.base));
            break;
        case OE_SVCB_IPV4HINT:
        case OE_SVCB_IPV6HINT: {
            int af = key == OE_SVCB_IPV4HINT ? AF_INET : AF_INET6;
            size_t each = key == OE_SVCB_IPV4HINT ? 4 : 16;
            char a[INET6_ADDRSTRLEN];
            for (size_t i = 0; i < v.len; i += each) {
                inet_ntop(af, v.base + i, a, sizeof(a));
                oe_buf_printf(out, "%s%s", i ? "," : "", a);
            }
            break;
        }
        case OE_SVCB_ECH:
            base64(out, v);
            break;
        default:
            oe_dns_print_charstring(out, v);
        }
    }
    return 0;
}

/* ---- parsing the presentation form ------------------------------------------------------- */

static int key_from_text(const char *s, size_t len, uint16_t *key)
{
    for (size_t i = 0; i < OE_ARRAY_SIZE(key_names); i++)
        if (strlen(key_names[i].name) == len && memcmp(key_names[i].name, s, len) == 0) {
            *key = key_names[i].key;
            return 0;
        }
    if (len == 7 && memcmp(s, "dohpath", 7) == 0) {
        *key = OE_SVCB_DOHPATH;
        return 0;
    }
    if (len > 3 && len <= 8 && memcmp(s, "key", 3) == 0) {
        unsigned long v = 0;
        for (size_t i = 3; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return OE_EFORMAT;
            v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v > 65534 || (len > 4 && s[3] == '0')) /* 65535 is reserved (§14.3.2) */
            return OE_EFORMAT;
        *key = (uint16_t)v;
        return 0;
    }
    return OE_EFORMAT;
}

typedef struct param {
    uint16_t key;
    size_t off, len; /* value in the scratch buffer */
} param_t;

static int param_cmp(const void *a, const void *b)
{
    const param_t *x = a, *y = b;
    return (int)x->key - (int)y->key;
}

/* Splits a value list (RFC 9460 Appendix A.1): the value is first decoded as a char-string (\DDD
 * and \X escapes), then split on commas, where "\," is a literal comma and "\\" a backslash
 * (so a comma inside an item is written "\\," in presentation form). Returns the number of items,
 * each in items[i][0..lens[i]), or an error. */
static int value_items(const char *s, uint8_t items[][256], size_t *lens, size_t max)
{
    uint8_t *tmp = oe_malloc(65536);
    int rc = oe_dns_unescape(s, strlen(s), tmp, 65536);
    size_t n = 0, l = 0, len;
    if (rc < 0)
        goto out;
    len = (size_t)rc;
    for (size_t i = 0;; i++) {
        if (i == len || tmp[i] == ',') {
            lens[n++] = l;
            l = 0;
            if (i == len) {
                rc = (int)n;
                goto out;
            }
            if (n == max) {
                rc = OE_ESPACE;
                goto out;
            }
            continue;
        }
        uint8_t c = tmp[i];
        if (c == '\\') {
            if (i + 1 == len) {
                rc = OE_EFORMAT;
                goto out;
            }
            c = tmp[++i];
        }
        if (l == 255) {
            rc = OE_EOVERFLOW;
            goto out;
        }
        items[n][l++] = c;
    }
out:
    free(tmp);
    return rc;
}

#define ERR(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, errcap, __VA_ARGS__);                                                        \
        rc = OE_EFORMAT;                                                                           \
        goto out;                                                                                  \
    } while (0)

int oe_dns_svcb_from_text(const char *const *tokens, size_t ntokens, uint8_t *buf, size_t cap,
                          char *err, size_t errcap)
{
    enum { MAXP = 32, MAXITEMS = 16 };
    param_t params[MAXP];
    size_t np = 0, sl = 0, len = 0;
    size_t ilen[MAXITEMS];
    uint8_t target[OE_DNS_NAME_MAX];
    uint8_t *scratch = oe_malloc(65536);
    uint8_t(*items)[256] = oe_malloc(MAXITEMS * 256);
    int rc = 0, n;
    char *end;
    oe_dns_svcb_writer_t b;

    if (ntokens < 2)
        ERR("SVCB needs a priority and a target name");
    unsigned long prio = strtoul(tokens[0], &end, 10);
    if (*tokens[0] < '0' || *tokens[0] > '9' || *end || prio > 65535)
        ERR("bad SvcPriority \"%s\"", tokens[0]);
    if ((n = oe_dns_name_from_text(tokens[1], strlen(tokens[1]), target)) < 0)
        ERR("bad target name \"%s\"", tokens[1]);
    if (prio == 0 && ntokens > 2)
        ERR("AliasMode (priority 0) takes no SvcParams");

    for (size_t t = 2; t < ntokens; t++) {
        const char *tok = tokens[t], *eq = strchr(tok, '=');
        size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
        const char *val = eq ? eq + 1 : "";
        uint16_t key;
        if (np == MAXP)
            ERR("too many SvcParams");
        if (sl > 65536 - 8192) /* leaves room for the bounded values below */
            ERR("SvcParams too long");
        if (key_from_text(tok, klen, &key) < 0)
            ERR("unknown SvcParamKey \"%.*s\"", (int)klen, tok);
        for (size_t i = 0; i < np; i++)
            if (params[i].key == key)
                ERR("SvcParamKey \"%.*s\" appears twice", (int)klen, tok);
        params[np] = (param_t){.key = key, .off = sl};
        if (key == OE_SVCB_NO_DEFAULT_ALPN) {
            if (eq)
                ERR("no-default-alpn takes no value");
            np++;
            continue;
        }
        if (!eq || !*val) {
            if (key == OE_SVCB_MANDATORY || key == OE_SVCB_ALPN || key == OE_SVCB_PORT ||
                key == OE_SVCB_IPV4HINT || key == OE_SVCB_IPV6HINT || key == OE_SVCB_DOHPATH)
                ERR("SvcParamKey \"%.*s\" needs a value", (int)klen, tok);
        }
        int ni = value_items(val, items, ilen, MAXITEMS);
        if (ni < 0 && key != OE_SVCB_DOHPATH && key < 8)
            ERR("bad value list for \"%.*s\"", (int)klen, tok);
        switch (key) {
        case OE_SVCB_MANDATORY:
            for (int i = 0; i < ni; i++) {
                uint16_t mk;
                if (key_from_text((char *)items[i], ilen[i], &mk) < 0 || mk == 0)
                    ERR("bad key in mandatory: \"%.*s\"", (int)ilen[i], items[i]);
                oe_put16(scratch + sl, mk);
                sl += 2;
            }
            /* §8: the list goes on the wire sorted. */
            for (size_t i = params[np].off + 2; i < sl; i += 2)
                for (size_t j = i;
                     j > params[np].off && oe_get16(scratch + j - 2) > oe_get16(scratch + j);
                     j -= 2) {
                    uint8_t tmp[2];
                    memcpy(tmp, scratch + j, 2);
                    memcpy(scratch + j, scratch + j - 2, 2);
                    memcpy(scratch + j - 2, tmp, 2);
                }
            for (size_t i = params[np].off + 2; i < sl; i += 2)
                if (oe_get16(scratch + i) == oe_get16(scratch + i - 2))
                    ERR("mandatory lists a key twice");
            break;
        case OE_SVCB_ALPN:
            for (int i = 0; i < ni; i++) {
                if (ilen[i] == 0)
                    ERR("empty alpn id");
                scratch[sl++] = (uint8_t)ilen[i];
                memcpy(scratch + sl, items[i], ilen[i]);
                sl += ilen[i];
            }
            break;
        case OE_SVCB_PORT: {
            unsigned long port = strtoul(val, &end, 10);
            if (*val < '0' || *val > '9' || *end || port > 65535)
                ERR("bad port \"%s\"", val);
            oe_put16(scratch + sl, (uint16_t)port);
            sl += 2;
            break;
        }
        case OE_SVCB_IPV4HINT:
        case OE_SVCB_IPV6HINT:
            for (int i = 0; i < ni; i++) {
                char a[64];
                if (ilen[i] >= sizeof(a))
                    ERR("bad address \"%.*s\"", (int)ilen[i], items[i]);
                memcpy(a, items[i], ilen[i]);
                a[ilen[i]] = '\0';
                if (inet_pton(key == OE_SVCB_IPV4HINT ? AF_INET : AF_INET6, a, scratch + sl) != 1)
                    ERR("bad %s address \"%s\"", key == OE_SVCB_IPV4HINT ? "IPv4" : "IPv6", a);
                sl += key == OE_SVCB_IPV4HINT ? 4 : 16;
            }
            break;
        case OE_SVCB_ECH:
            ERR("ech=BASE64 is not supported here; write key5=\"...\" with \\DDD escapes");
        default: { /* dohpath and opaque keys: one char-string, \DDD escapes */
            int vl = oe_dns_unescape(val, strlen(val), scratch + sl, 65536 - sl);
            if (vl < 0)
                ERR("bad escape in the value of \"%.*s\"", (int)klen, tok);
            sl += (size_t)vl;
        }
        }
        params[np].len = sl - params[np].off;
        if (params[np].len > 65535)
            ERR("value of \"%.*s\" too long", (int)klen, tok);
        np++;
    }
    qsort(params, np, sizeof(params[0]), param_cmp);
    /* §8: every key named by mandatory must be present. */
    for (size_t i = 0; i < np; i++) {
        if (params[i].key != OE_SVCB_MANDATORY)
            continue;
        for (size_t j = 0; j < params[i].len; j += 2) {
            uint16_t mk = oe_get16(scratch + params[i].off + j);
            bool found = false;
            for (size_t k = 0; k < np; k++)
                found |= params[k].key == mk;
            if (!found)
                ERR("mandatory names key%u, which is missing", mk);
        }
    }
    oe_dns_svcb_begin(&b, buf, cap, (uint16_t)prio, oe_dns_name_wire(target, (size_t)n));
    for (size_t i = 0; i < np; i++)
        oe_dns_svcb_add(&b, params[i].key, OE_SLICE(scratch + params[i].off, params[i].len));
    if ((rc = oe_dns_svcb_end(&b, &len)) < 0) {
        snprintf(err, errcap, "RDATA too long");
        goto out;
    }
    rc = (int)len;
out:
    free(items);
    free(scratch);
    return rc;
}
