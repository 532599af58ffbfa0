/*
 * Strict JSON (RFC 8259): a recursive validator with a depth limit, and lookups that re-walk the
 * validated text. Numbers follow the grammar of §6 exactly (no leading zeros, no bare '.'), the
 * literals are true/false/null, strings are checked for escapes (§7) and for UTF-8 (§8.1).
 */
#include <stdio.h>

#include "acme/acme_json.h"

typedef struct reader {
    const uint8_t *p;
    size_t n, i;
} reader_t;

static void ws(reader_t *r)
{
    while (r->i < r->n &&
           (r->p[r->i] == ' ' || r->p[r->i] == '\t' || r->p[r->i] == '\n' || r->p[r->i] == '\r'))
        r->i++;
}

static int hex4(reader_t *r, unsigned *out)
{
    if (r->n - r->i < 4)
        return OE_EFORMAT;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = r->p[r->i++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return OE_EFORMAT;
    }
    *out = v;
    return 0;
}

/* Length of the UTF-8 sequence at p (RFC 3629 §4: no overlongs, no surrogates, <= U+10FFFF), or 0
 * when invalid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t min, v;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80, v = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800, v = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000, v = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return len;
}

static void put_utf8(uint8_t *o, size_t *k, uint32_t v)
{
    if (v < 0x80) {
        o[(*k)++] = (uint8_t)v;
    } else if (v < 0x800) {
        o[(*k)++] = (uint8_t)(0xc0 | v >> 6);
        o[(*k)++] = (uint8_t)(0x80 | (v & 0x3f));
    } else if (v < 0x10000) {
        o[(*k)++] = (uint8_t)(0xe0 | v >> 12);
        o[(*k)++] = (uint8_t)(0x80 | (v >> 6 & 0x3f));
        o[(*k)++] = (uint8_t)(0x80 | (v & 0x3f));
    } else {
        o[(*k)++] = (uint8_t)(0xf0 | v >> 18);
        o[(*k)++] = (uint8_t)(0x80 | (v >> 12 & 0x3f));
        o[(*k)++] = (uint8_t)(0x80 | (v >> 6 & 0x3f));
        o[(*k)++] = (uint8_t)(0x80 | (v & 0x3f));
    }
}

/* Reads a string at r->i (which is at '"'). With out != NULL, decodes into out[0..cap) and sets
 * *len. */
static int string(reader_t *r, uint8_t *out, size_t cap, size_t *len)
{
    size_t k = 0;
    if (r->i >= r->n || r->p[r->i] != '"')
        return OE_EFORMAT;
    r->i++;
    for (;;) {
        if (r->i >= r->n)
            return OE_EFORMAT;
        uint8_t c = r->p[r->i];
        uint8_t tmp[4];
        size_t tl = 0;
        if (c == '"') {
            r->i++;
            break;
        }
        if (c < 0x20)
            return OE_EFORMAT;
        if (c == '\\') {
            if (++r->i >= r->n)
                return OE_EFORMAT;
            c = r->p[r->i++];
            unsigned v;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                tmp[tl++] = c;
                break;
            case 'b':
                tmp[tl++] = '\b';
                break;
            case 'f':
                tmp[tl++] = '\f';
                break;
            case 'n':
                tmp[tl++] = '\n';
                break;
            case 'r':
                tmp[tl++] = '\r';
                break;
            case 't':
                tmp[tl++] = '\t';
                break;
            case 'u':
                if (hex4(r, &v) < 0 || v == 0 || (v >= 0xdc00 && v <= 0xdfff))
                    return OE_EFORMAT;
                if (v >= 0xd800 && v <= 0xdbff) {
                    unsigned lo;
                    if (r->n - r->i < 2 || r->p[r->i] != '\\' || r->p[r->i + 1] != 'u')
                        return OE_EFORMAT;
                    r->i += 2;
                    if (hex4(r, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                        return OE_EFORMAT;
                    v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                }
                put_utf8(tmp, &tl, v);
                break;
            default:
                return OE_EFORMAT;
            }
        } else {
            tl = utf8_len(r->p + r->i, r->n - r->i);
            if (tl == 0)
                return OE_EFORMAT;
            memcpy(tmp, r->p + r->i, tl);
            r->i += tl;
        }
        if (out != NULL) {
            if (cap - k < tl + 1)
                return OE_ESPACE;
            memcpy(out + k, tmp, tl);
        }
        k += tl;
    }
    if (len != NULL)
        *len = k;
    return 0;
}

static bool digit(reader_t *r)
{
    return r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9';
}

static int number(reader_t *r)
{
    if (r->i < r->n && r->p[r->i] == '-')
        r->i++;
    if (!digit(r))
        return OE_EFORMAT;
    if (r->p[r->i] == '0')
        r->i++;
    else
        while (digit(r))
            r->i++;
    if (r->i < r->n && r->p[r->i] == '.') {
        r->i++;
        if (!digit(r))
            return OE_EFORMAT;
        while (digit(r))
            r->i++;
    }
    if (r->i < r->n && (r->p[r->i] == 'e' || r->p[r->i] == 'E')) {
        r->i++;
        if (r->i < r->n && (r->p[r->i] == '+' || r->p[r->i] == '-'))
            r->i++;
        if (!digit(r))
            return OE_EFORMAT;
        while (digit(r))
            r->i++;
    }
    return 0;
}

static int literal(reader_t *r, const char *word)
{
    size_t l = strlen(word);
    if (r->n - r->i < l || memcmp(r->p + r->i, word, l) != 0)
        return OE_EFORMAT;
    r->i += l;
    return 0;
}

/* Skips one value at r->i (no white space before it), validating it. */
static int value(reader_t *r, int depth)
{
    if (r->i >= r->n || depth > OE_ACME_JSON_MAX_DEPTH)
        return OE_EFORMAT;
    uint8_t c = r->p[r->i];
    if (c == '{' || c == '[') {
        uint8_t close = c == '{' ? '}' : ']';
        r->i++;
        ws(r);
        if (r->i < r->n && r->p[r->i] == close) {
            r->i++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                if (string(r, NULL, 0, NULL) < 0)
                    return OE_EFORMAT;
                ws(r);
                if (r->i >= r->n || r->p[r->i] != ':')
                    return OE_EFORMAT;
                r->i++;
                ws(r);
            }
            if (value(r, depth + 1) < 0)
                return OE_EFORMAT;
            ws(r);
            if (r->i >= r->n)
                return OE_EFORMAT;
            if (r->p[r->i] == close) {
                r->i++;
                return 0;
            }
            if (r->p[r->i] != ',')
                return OE_EFORMAT;
            r->i++;
            ws(r);
        }
    }
    if (c == '"')
        return string(r, NULL, 0, NULL);
    if (c == 't')
        return literal(r, "true");
    if (c == 'f')
        return literal(r, "false");
    if (c == 'n')
        return literal(r, "null");
    return number(r);
}

int oe_acme_json_check(oe_slice_t doc)
{
    reader_t r = {doc.base, doc.len, 0};
    ws(&r);
    if (value(&r, 0) < 0)
        return OE_EFORMAT;
    ws(&r);
    return r.i == r.n ? 0 : OE_EFORMAT;
}

/* r at the start of a validated value's text (white space allowed): the value's slice. */
static int take_value(reader_t *r, oe_slice_t *out)
{
    ws(r);
    size_t start = r->i;
    if (value(r, 0) < 0)
        return OE_EFORMAT;
    *out = OE_SLICE(r->p + start, r->i - start);
    return 0;
}

int oe_acme_json_member(oe_slice_t obj, const char *key, oe_slice_t *val)
{
    reader_t r = {obj.base, obj.len, 0};
    size_t klen = strlen(key);
    bool found = false;
    ws(&r);
    if (r.i >= r.n || r.p[r.i] != '{')
        return OE_EFORMAT;
    r.i++;
    ws(&r);
    if (r.i < r.n && r.p[r.i] == '}') {
        r.i++;
        goto end;
    }
    for (;;) {
        uint8_t name[256];
        size_t nlen = 0, at = r.i;
        int rc = string(&r, name, sizeof(name), &nlen);
        if (rc == OE_ESPACE) { /* longer than any key we look for: skip it from its start */
            nlen = sizeof(name) + 1;
            r.i = at;
            rc = string(&r, NULL, 0, NULL);
        }
        if (rc < 0)
            return OE_EFORMAT;
        ws(&r);
        if (r.i >= r.n || r.p[r.i] != ':')
            return OE_EFORMAT;
        r.i++;
        oe_slice_t v;
        if (take_value(&r, &v) < 0)
            return OE_EFORMAT;
        if (!found && nlen == klen && memcmp(name, key, klen) == 0) {
            *val = v;
            found = true;
        }
        ws(&r);
        if (r.i >= r.n)
            return OE_EFORMAT;
        if (r.p[r.i] == '}') {
            r.i++;
            break;
        }
        if (r.p[r.i] != ',')
            return OE_EFORMAT;
        r.i++;
        ws(&r);
    }
end:
    ws(&r);
    if (r.i != r.n)
        return OE_EFORMAT;
    return found ? 0 : -ENOENT;
}

int oe_acme_json_string(oe_slice_t val, char *out, size_t cap)
{
    reader_t r = {val.base, val.len, 0};
    size_t len = 0;
    if (cap == 0)
        return OE_ESPACE;
    ws(&r);
    int rc = string(&r, (uint8_t *)out, cap, &len);
    if (rc < 0)
        return rc;
    ws(&r);
    if (r.i != r.n)
        return OE_EFORMAT;
    out[len] = '\0';
    return (int)len;
}

int oe_acme_json_member_string(oe_slice_t obj, const char *key, char *out, size_t cap)
{
    oe_slice_t v;
    int rc = oe_acme_json_member(obj, key, &v);
    return rc < 0 ? rc : oe_acme_json_string(v, out, cap);
}

int oe_acme_json_array_next(oe_slice_t arr, size_t *pos, oe_slice_t *elem)
{
    reader_t r = {arr.base, arr.len, *pos};
    if (*pos == 0) {
        ws(&r);
        if (r.i >= r.n || r.p[r.i] != '[')
            return OE_EFORMAT;
        r.i++;
        ws(&r);
        if (r.i < r.n && r.p[r.i] == ']') {
            *pos = r.n;
            return 0;
        }
    } else if (*pos >= arr.len) {
        return 0;
    }
    if (take_value(&r, elem) < 0)
        return OE_EFORMAT;
    ws(&r);
    if (r.i >= r.n)
        return OE_EFORMAT;
    if (r.p[r.i] == ']') {
        r.i++;
        ws(&r);
        if (r.i != r.n)
            return OE_EFORMAT;
        *pos = r.n;
        return 1;
    }
    if (r.p[r.i] != ',')
        return OE_EFORMAT;
    r.i++;
    *pos = r.i;
    return 1;
}

void oe_acme_json_append_string(oe_buf_t *b, const char *s)
{
    oe_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            oe_buf_append(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", c);
            oe_buf_append(b, e, 6);
        } else {
            oe_buf_append(b, s, 1);
        }
    }
    oe_buf_append(b, "\"", 1);
}
