/* Binary HTTP (RFC 9292); see bhttp.h for the contract. */
#include <string.h>

#include "ohttp/bhttp.h"

int oe_bhttp_varint_get(const uint8_t *in, size_t len, size_t *pos, uint64_t *v)
{
    if (*pos >= len)
        return OE_ETRUNC;
    size_t n = (size_t)1 << (in[*pos] >> 6); /* RFC 9000 §16: 1, 2, 4 or 8 bytes */
    if (len - *pos < n)
        return OE_ETRUNC;
    uint64_t x = in[*pos] & 0x3f;
    for (size_t i = 1; i < n; i++)
        x = x << 8 | in[*pos + i];
    *pos += n;
    *v = x;
    return 0;
}

int oe_bhttp_varint_put(uint8_t *out, size_t cap, uint64_t v)
{
    size_t n = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
    if (v >= (1ull << 62))
        return OE_EINVAL;
    if (cap < n)
        return OE_ESPACE;
    static const uint8_t prefix[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    out[0] |= prefix[n];
    return (int)n;
}

/* ---- decoding ------------------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *in;
    size_t len, pos;
} reader_t;

/* A length-prefixed byte string (RFC 9292 §3.4 control data, §3.6 field lines). */
static int get_bytes(reader_t *r, oe_slice_t *out)
{
    uint64_t n;
    int rc = oe_bhttp_varint_get(r->in, r->len, &r->pos, &n);
    if (rc < 0)
        return rc;
    if (n > r->len - r->pos)
        return OE_ETRUNC;
    *out = OE_SLICE(r->in + r->pos, (size_t)n);
    r->pos += (size_t)n;
    return 0;
}

/* A token (RFC 9110 §5.6.2). Field names may hold uppercase letters: RFC 9292 does not ask for
 * lowercase, and Firefox sends "Content-Type" (names compare case-insensitively, §3.6 and
 * RFC 9110 §5.1). */
static bool token_ok(oe_slice_t s, bool upper)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.base[i];
        if (!((c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c && strchr(extra, c))))
            return false;
    }
    return true;
}

static bool name_ok(oe_slice_t s)
{
    return token_ok(s, true);
}

static bool value_ok(oe_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.base[i] == '\r' || s.base[i] == '\n' || s.base[i] == '\0')
            return false;
    return true;
}

/* Appends a field line to m (or only checks it when store is false: trailers). */
static int add_field(oe_bhttp_msg_t *m, size_t cap, oe_slice_t name, oe_slice_t value, bool store)
{
    if (!name_ok(name) || !value_ok(value))
        return OE_EFORMAT;
    if (!store)
        return 0;
    if (m->nfields == cap)
        return OE_ESPACE;
    m->fields[m->nfields++] = (oe_bhttp_field_t){name, value};
    return 0;
}

/* A field section (§3.5, §3.6) in either framing. At the end of the input the section and
 * everything after it are absent (truncation, §3.8): *end is set. */
static int get_fields(reader_t *r, oe_bhttp_msg_t *m, size_t cap, bool known, bool store, bool *end)
{
    if (r->pos == r->len) {
        *end = true;
        return 0;
    }
    oe_slice_t name, value;
    int rc;
    if (known) {
        oe_slice_t sec;
        if ((rc = get_bytes(r, &sec)) < 0)
            return rc;
        reader_t s = {sec.base, sec.len, 0};
        while (s.pos < s.len) {
            if ((rc = get_bytes(&s, &name)) < 0 || (rc = get_bytes(&s, &value)) < 0)
                return rc == OE_ETRUNC ? OE_EFORMAT : rc; /* a line overruns its section */
            if ((rc = add_field(m, cap, name, value, store)) < 0)
                return rc;
        }
        return 0;
    }
    for (;;) { /* indeterminate: lines until a zero-length name (the content terminator) */
        if ((rc = get_bytes(r, &name)) < 0)
            return rc;
        if (name.len == 0)
            return 0;
        if ((rc = get_bytes(r, &value)) < 0 || (rc = add_field(m, cap, name, value, store)) < 0)
            return rc;
    }
}

/* Content (§3.7): one length-prefixed string, or chunks until a zero-length one, joined in buf. */
static int get_content(reader_t *r, oe_bhttp_msg_t *m, bool known, uint8_t *buf, size_t cap,
                       bool *end)
{
    if (r->pos == r->len) {
        *end = true;
        return 0;
    }
    if (known)
        return get_bytes(r, &m->content);
    size_t n = 0;
    for (;;) {
        oe_slice_t chunk;
        int rc = get_bytes(r, &chunk);
        if (rc < 0)
            return rc;
        if (chunk.len == 0)
            break;
        if (chunk.len > cap - n)
            return OE_ESPACE;
        memcpy(buf + n, chunk.base, chunk.len);
        n += chunk.len;
    }
    m->content = OE_SLICE(n ? buf : NULL, n);
    return 0;
}

static int get_status(reader_t *r, unsigned *status)
{
    uint64_t v;
    int rc = oe_bhttp_varint_get(r->in, r->len, &r->pos, &v);
    if (rc < 0)
        return rc;
    if (v < 100 || v > 599)
        return OE_EFORMAT;
    *status = (unsigned)v;
    return 0;
}

int oe_bhttp_decode(oe_bhttp_msg_t *m, const uint8_t *in, size_t len, oe_bhttp_field_t *fields,
                    size_t cap, uint8_t *content_buf, size_t content_cap)
{
    reader_t r = {in, len, 0};
    uint64_t framing;
    bool end = false;
    int rc = oe_bhttp_varint_get(in, len, &r.pos, &framing);
    if (rc < 0)
        return rc;
    if (framing > 3)
        return OE_EFORMAT;
    memset(m, 0, sizeof(*m));
    m->framing = (uint8_t)framing;
    m->fields = fields;
    bool known = framing < 2, request = framing % 2 == 0;
    if (request) {
        if ((rc = get_bytes(&r, &m->method)) < 0 || (rc = get_bytes(&r, &m->scheme)) < 0 ||
            (rc = get_bytes(&r, &m->authority)) < 0 || (rc = get_bytes(&r, &m->path)) < 0)
            return rc;
        if (!token_ok(m->method, true) || (m->scheme.len > 0 && m->path.len == 0) ||
            !value_ok(m->authority) || !value_ok(m->path) || !value_ok(m->scheme))
            return OE_EFORMAT;
    } else {
        /* Informational responses (§3.5.1) first, then the final status. */
        for (;;) {
            if ((rc = get_status(&r, &m->status)) < 0)
                return rc;
            if (m->status >= 200)
                break;
            if ((rc = get_fields(&r, m, 0, known, false, &end)) < 0)
                return rc;
            if (end)
                return OE_ETRUNC; /* no final response */
        }
    }
    if ((rc = get_fields(&r, m, cap, known, true, &end)) < 0)
        return rc;
    if (!end && (rc = get_content(&r, m, known, content_buf, content_cap, &end)) < 0)
        return rc;
    if (!end && (rc = get_fields(&r, m, 0, known, false, &end)) < 0)
        return rc;
    for (; r.pos < r.len; r.pos++) /* padding (§3.8) */
        if (in[r.pos] != 0)
            return OE_EFORMAT;
    return 0;
}

oe_slice_t oe_bhttp_field(const oe_bhttp_msg_t *m, const char *name)
{
    oe_slice_t want = OE_SLICE_STR(name);
    for (size_t i = 0; i < m->nfields; i++)
        if (oe_slice_eq_nocase(m->fields[i].name, want))
            return m->fields[i].value;
    return OE_SLICE(NULL, 0);
}

/* ---- encoding ------------------------------------------------------------------------------- */

typedef struct writer {
    uint8_t *out;
    size_t cap, pos;
    bool full;
} writer_t;

static void put_varint(writer_t *w, uint64_t v)
{
    int n = w->full ? -1 : oe_bhttp_varint_put(w->out + w->pos, w->cap - w->pos, v);
    if (n < 0)
        w->full = true;
    else
        w->pos += (size_t)n;
}

static void put_bytes(writer_t *w, oe_slice_t s)
{
    put_varint(w, s.len);
    if (w->full || w->cap - w->pos < s.len) {
        w->full = true;
        return;
    }
    if (s.len > 0)
        memcpy(w->out + w->pos, s.base, s.len);
    w->pos += s.len;
}

static void put_fields(writer_t *w, const oe_bhttp_field_t *f, size_t n)
{
    uint64_t total = 0;
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        total += (uint64_t)oe_bhttp_varint_put(tmp, sizeof(tmp), f[i].name.len) + f[i].name.len +
                 (uint64_t)oe_bhttp_varint_put(tmp, sizeof(tmp), f[i].value.len) + f[i].value.len;
    put_varint(w, total);
    for (size_t i = 0; i < n; i++) {
        put_bytes(w, f[i].name);
        put_bytes(w, f[i].value);
    }
}

static int finish(writer_t *w, const oe_bhttp_field_t *f, size_t n, oe_slice_t content)
{
    put_fields(w, f, n);
    put_bytes(w, content);
    put_varint(w, 0); /* empty trailers */
    return w->full ? OE_ESPACE : (int)w->pos;
}

int oe_bhttp_encode_request(uint8_t *out, size_t cap, oe_slice_t method, oe_slice_t scheme,
                            oe_slice_t authority, oe_slice_t path, const oe_bhttp_field_t *fields,
                            size_t nfields, oe_slice_t content)
{
    writer_t w = {out, cap, 0, false};
    put_varint(&w, OE_BHTTP_KNOWN_REQUEST);
    put_bytes(&w, method);
    put_bytes(&w, scheme);
    put_bytes(&w, authority);
    put_bytes(&w, path);
    return finish(&w, fields, nfields, content);
}

int oe_bhttp_encode_response(uint8_t *out, size_t cap, unsigned status,
                             const oe_bhttp_field_t *fields, size_t nfields, oe_slice_t content)
{
    if (status < 200 || status > 599)
        return OE_EINVAL;
    writer_t w = {out, cap, 0, false};
    put_varint(&w, OE_BHTTP_KNOWN_RESPONSE);
    put_varint(&w, status);
    return finish(&w, fields, nfields, content);
}
