/*
 * Strict recursive-descent JSON parser for tests (see json.h for what "strict" means here).
 */
#include "lib/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *p;
    const char *end;
    const char *start;
    char *err;
    size_t err_len;
    int failed;
} parser_t;

static void fail(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser_t *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    if (ps->err != NULL && ps->err_len > 0) {
        va_list ap;
        int n = snprintf(ps->err, ps->err_len, "offset %zu: ", (size_t)(ps->p - ps->start));
        if (n >= 0 && (size_t)n < ps->err_len) {
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->err_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "json: out of memory\n");
        abort();
    }
    return q;
}

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int literal(parser_t *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        fail(ps, "invalid literal");
        return -1;
    }
    ps->p += n;
    return 0;
}

static int hex4(parser_t *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4) {
        fail(ps, "truncated \\u escape");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else {
            fail(ps, "bad hex digit in \\u escape");
            return -1;
        }
    }
    *out = v;
    return 0;
}

typedef struct sbuf {
    char *b;
    size_t len, cap;
} sbuf_t;

static void sb_put(sbuf_t *s, char c)
{
    if (s->len + 1 >= s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->b = xrealloc(s->b, s->cap);
    }
    s->b[s->len++] = c;
}

static void sb_utf8(sbuf_t *s, unsigned cp)
{
    if (cp < 0x80) {
        sb_put(s, (char)cp);
    } else if (cp < 0x800) {
        sb_put(s, (char)(0xc0 | cp >> 6));
        sb_put(s, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        sb_put(s, (char)(0xe0 | cp >> 12));
        sb_put(s, (char)(0x80 | (cp >> 6 & 0x3f)));
        sb_put(s, (char)(0x80 | (cp & 0x3f)));
    } else {
        sb_put(s, (char)(0xf0 | cp >> 18));
        sb_put(s, (char)(0x80 | (cp >> 12 & 0x3f)));
        sb_put(s, (char)(0x80 | (cp >> 6 & 0x3f)));
        sb_put(s, (char)(0x80 | (cp & 0x3f)));
    }
}

/* Validates one UTF-8 sequence starting at ps->p (RFC 3629 §4) and copies it. */
static int utf8_copy(parser_t *ps, sbuf_t *s)
{
    const unsigned char *u = (const unsigned char *)ps->p;
    size_t avail = (size_t)(ps->end - ps->p), n;
    unsigned cp;

    if (u[0] < 0x80) {
        n = 1, cp = u[0];
    } else if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        n = 2, cp = u[0] & 0x1f;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        n = 3, cp = u[0] & 0x0f;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        n = 4, cp = u[0] & 0x07;
    } else {
        fail(ps, "invalid UTF-8");
        return -1;
    }
    if (avail < n) {
        fail(ps, "truncated UTF-8");
        return -1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            fail(ps, "invalid UTF-8");
            return -1;
        }
        cp = cp << 6 | (u[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        fail(ps, "invalid UTF-8");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        sb_put(s, (char)u[i]);
    ps->p += n;
    return 0;
}

static int parse_string(parser_t *ps, char **out, size_t *out_len)
{
    sbuf_t s = {0};

    ps->p++; /* opening quote */
    for (;;) {
        if (ps->p >= ps->end) {
            fail(ps, "unterminated string");
            goto fail;
        }
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            fail(ps, "control character in string");
            goto fail;
        }
        if (c != '\\') {
            if (utf8_copy(ps, &s) != 0)
                goto fail;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) {
            fail(ps, "unterminated escape");
            goto fail;
        }
        char e = *ps->p++;
        unsigned cp, lo;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            sb_put(&s, e);
            break;
        case 'b':
            sb_put(&s, '\b');
            break;
        case 'f':
            sb_put(&s, '\f');
            break;
        case 'n':
            sb_put(&s, '\n');
            break;
        case 'r':
            sb_put(&s, '\r');
            break;
        case 't':
            sb_put(&s, '\t');
            break;
        case 'u':
            if (hex4(ps, &cp) != 0)
                goto fail;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                fail(ps, "lone low surrogate");
                goto fail;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    fail(ps, "lone high surrogate");
                    goto fail;
                }
                ps->p += 2;
                if (hex4(ps, &lo) != 0)
                    goto fail;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail(ps, "bad low surrogate");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) {
                fail(ps, "\\u0000 not supported");
                goto fail;
            }
            sb_utf8(&s, cp);
            break;
        default:
            fail(ps, "invalid escape");
            goto fail;
        }
    }
    sb_put(&s, '\0');
    *out = s.b;
    *out_len = s.len - 1;
    return 0;
fail:
    free(s.b);
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* number = [ minus ] int [ frac ] [ exp ], RFC 8259 §6. */
static int parse_number(parser_t *ps, oe_json_t *v)
{
    const char *b = ps->p;

    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || !is_digit(*ps->p)) {
        fail(ps, "invalid number");
        return -1;
    }
    if (*ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && is_digit(*ps->p)) {
            fail(ps, "leading zero");
            return -1;
        }
    } else {
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p)) {
            fail(ps, "invalid fraction");
            return -1;
        }
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p)) {
            fail(ps, "invalid exponent");
            return -1;
        }
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    v->type = OE_JSON_NUMBER;
    v->len = (size_t)(ps->p - b);
    v->str = xrealloc(NULL, v->len + 1);
    memcpy(v->str, b, v->len);
    v->str[v->len] = '\0';
    return 0;
}

static void free_members(oe_json_t *v);

static int parse_value(parser_t *ps, oe_json_t *v, int depth)
{
    memset(v, 0, sizeof(*v));
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end of input");
        return -1;
    }
    if (depth > MAX_DEPTH) {
        fail(ps, "nesting too deep");
        return -1;
    }
    switch (*ps->p) {
    case 'n':
        v->type = OE_JSON_NULL;
        return literal(ps, "null");
    case 't':
        v->type = OE_JSON_TRUE;
        return literal(ps, "true");
    case 'f':
        v->type = OE_JSON_FALSE;
        return literal(ps, "false");
    case '"':
        v->type = OE_JSON_STRING;
        return parse_string(ps, &v->str, &v->len);
    case '[':
    case '{': {
        int is_obj = *ps->p == '{';
        char close = is_obj ? '}' : ']';
        size_t cap = 0;
        v->type = is_obj ? OE_JSON_OBJECT : OE_JSON_ARRAY;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return 0;
        }
        for (;;) {
            char *key = NULL;
            size_t key_len;
            skip_ws(ps);
            if (is_obj) {
                if (ps->p >= ps->end || *ps->p != '"') {
                    fail(ps, "expected a string key");
                    return -1;
                }
                if (parse_string(ps, &key, &key_len) != 0)
                    return -1;
                for (size_t i = 0; i < v->len; i++) {
                    if (strcmp(v->keys[i], key) == 0) {
                        fail(ps, "duplicate key \"%s\"", key);
                        free(key);
                        return -1;
                    }
                }
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':') {
                    fail(ps, "expected ':'");
                    free(key);
                    return -1;
                }
                ps->p++;
            }
            if (v->len == cap) {
                cap = cap ? cap * 2 : 4;
                v->items = xrealloc(v->items, cap * sizeof(*v->items));
                if (is_obj)
                    v->keys = xrealloc(v->keys, cap * sizeof(*v->keys));
            }
            if (is_obj)
                v->keys[v->len] = key;
            if (parse_value(ps, &v->items[v->len], depth + 1) != 0) {
                free_members(&v->items[v->len]);
                if (is_obj)
                    free(key);
                return -1;
            }
            v->len++;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return 0;
            }
            fail(ps, "expected ',' or '%c'", close);
            return -1;
        }
    }
    default:
        return parse_number(ps, v);
    }
}

static void free_members(oe_json_t *v)
{
    for (size_t i = 0; (v->type == OE_JSON_ARRAY || v->type == OE_JSON_OBJECT) && i < v->len; i++) {
        free_members(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof(*v));
}

oe_json_t *oe_json_parse(const char *text, size_t len, char *err, size_t err_len)
{
    parser_t ps = {text, text + len, text, err, err_len, 0};
    oe_json_t *v = xrealloc(NULL, sizeof(*v));

    if (err != NULL && err_len > 0)
        err[0] = '\0';
    if (parse_value(&ps, v, 0) == 0) {
        skip_ws(&ps);
        if (ps.p == ps.end)
            return v;
        fail(&ps, "trailing bytes after the value");
    }
    free_members(v);
    free(v);
    return NULL;
}

void oe_json_free(oe_json_t *v)
{
    if (v == NULL)
        return;
    free_members(v);
    free(v);
}

const oe_json_t *oe_json_get(const oe_json_t *obj, const char *key)
{
    if (obj == NULL || obj->type != OE_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const oe_json_t *oe_json_at(const oe_json_t *arr, size_t i)
{
    if (arr == NULL || arr->type != OE_JSON_ARRAY || i >= arr->len)
        return NULL;
    return &arr->items[i];
}

const char *oe_json_string(const oe_json_t *v)
{
    return v != NULL && v->type == OE_JSON_STRING ? v->str : NULL;
}

long long oe_json_int(const oe_json_t *v, bool *ok)
{
    char *end;
    long long n;

    if (ok != NULL)
        *ok = false;
    if (v == NULL || v->type != OE_JSON_NUMBER || strpbrk(v->str, ".eE") != NULL)
        return 0;
    errno = 0;
    n = strtoll(v->str, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    if (ok != NULL)
        *ok = true;
    return n;
}
