/*
 * Constant-time encodings (see encode.h). Characters are mapped to values with masks, never with
 * a branch or a table lookup on the character, so neither the branch predictor nor the cache
 * learns a secret's digits; loops and branches depend on lengths only.
 */
#include "crypto/encode.h"

int oe_ct_eq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return (1 & ((d - 1) >> 8));
}

/* All ones if lo <= c <= hi, else 0. c, lo and hi are small (a byte or a digit value), so the
 * differences fit an int and their sign bit tells the answer. */
static unsigned in_range(int c, int lo, int hi)
{
    unsigned out = (unsigned)((c - lo) | (hi - c)) >> 31;
    return out - 1u;
}

/* ---- hex ------------------------------------------------------------------------------------ */

static char hex_digit(unsigned v)
{
    return (char)(v + '0' + (in_range((int)v, 10, 15) & ('a' - '0' - 10)));
}

void oe_hex_encode(char *out, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digit(in[i] >> 4);
        out[2 * i + 1] = hex_digit(in[i] & 15u);
    }
    out[2 * len] = '\0';
}

/* 0..15 for a hex digit; 0x100 set for anything else. */
static unsigned hex_value(uint8_t ch)
{
    int c = ch;
    unsigned num = in_range(c, '0', '9'), lo = in_range(c, 'a', 'f'), up = in_range(c, 'A', 'F');
    return (num & (unsigned)(c - '0')) | (lo & (unsigned)(c - 'a' + 10)) |
           (up & (unsigned)(c - 'A' + 10)) | (~(num | lo | up) & 0x100u);
}

int oe_hex_digit(uint8_t c)
{
    unsigned v = hex_value(c);
    /* v is 0..15 or has bit 8 set: map the latter to -1 without a branch. */
    return (int)(v & 15u) | -(int)(v >> 8);
}

int oe_hex_decode(uint8_t *out, size_t cap, const char *in, size_t len)
{
    unsigned bad = 0;
    if (len % 2 != 0)
        return OE_EFORMAT;
    if (len / 2 > cap)
        return OE_ESPACE;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned hi = hex_value((uint8_t)in[2 * i]), lo = hex_value((uint8_t)in[2 * i + 1]);
        bad |= hi | lo;
        out[i] = (uint8_t)(hi << 4 | (lo & 15u));
    }
    return (bad & 0x100u) ? OE_EFORMAT : (int)(len / 2);
}

/* ---- base64 / base64url --------------------------------------------------------------------- */

/* The alphabets differ in their last two characters only (RFC 4648 §4, §5). */
typedef struct alphabet {
    char c62, c63;
} alphabet_t;

static const alphabet_t b64 = {'+', '/'}, b64url = {'-', '_'};

static char b64_char(unsigned v, const alphabet_t *a)
{
    int x = (int)v;
    return (char)((in_range(x, 0, 25) & (v + 'A')) | (in_range(x, 26, 51) & (v - 26 + 'a')) |
                  (in_range(x, 52, 61) & (v - 52 + '0')) |
                  (in_range(x, 62, 62) & (unsigned)a->c62) |
                  (in_range(x, 63, 63) & (unsigned)a->c63));
}

/* 0..63 for a character of the alphabet; 0x100 set for anything else ('=' included). */
static unsigned b64_value(uint8_t ch, const alphabet_t *a)
{
    int c = ch;
    unsigned up = in_range(c, 'A', 'Z'), lo = in_range(c, 'a', 'z'), num = in_range(c, '0', '9');
    unsigned s62 = in_range(c, a->c62, a->c62), s63 = in_range(c, a->c63, a->c63);
    return (up & (unsigned)(c - 'A')) | (lo & (unsigned)(c - 'a' + 26)) |
           (num & (unsigned)(c - '0' + 52)) | (s62 & 62u) | (s63 & 63u) |
           (~(up | lo | num | s62 | s63) & 0x100u);
}

static int encode(char *out, size_t cap, const uint8_t *in, size_t len, const alphabet_t *a,
                  bool pad)
{
    size_t n = pad ? OE_BASE64_LEN(len) : OE_BASE64URL_LEN(len), o = 0, i = 0;
    if (len > (SIZE_MAX - 3) / 4 || cap < n + 1)
        return OE_ESPACE;
    if (n > INT32_MAX)
        return OE_EOVERFLOW;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_char(v >> 18, a);
        out[o++] = b64_char(v >> 12 & 63, a);
        out[o++] = b64_char(v >> 6 & 63, a);
        out[o++] = b64_char(v & 63, a);
    }
    if (len - i > 0) {
        uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64_char(v >> 18, a);
        out[o++] = b64_char(v >> 12 & 63, a);
        if (len - i == 2)
            out[o++] = b64_char(v >> 6 & 63, a);
        else if (pad)
            out[o++] = '=';
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return (int)o;
}

int oe_base64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
    return encode(out, cap, in, len, &b64, true);
}

int oe_base64url_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
    return encode(out, cap, in, len, &b64url, false);
}

/* Decodes len characters without padding (len % 4 != 1). */
static int decode(uint8_t *out, size_t cap, const char *in, size_t len, const alphabet_t *a)
{
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0), o = 0, i = 0;
    unsigned bad = 0;
    if (len % 4 == 1)
        return OE_EFORMAT;
    if (n > cap)
        return OE_ESPACE;
    if (n > INT32_MAX)
        return OE_EOVERFLOW;
    for (; i + 4 <= len; i += 4) {
        unsigned v0 = b64_value((uint8_t)in[i], a), v1 = b64_value((uint8_t)in[i + 1], a);
        unsigned v2 = b64_value((uint8_t)in[i + 2], a), v3 = b64_value((uint8_t)in[i + 3], a);
        bad |= v0 | v1 | v2 | v3;
        uint32_t v = (v0 & 63u) << 18 | (v1 & 63u) << 12 | (v2 & 63u) << 6 | (v3 & 63u);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (len - i >= 2) {
        unsigned v0 = b64_value((uint8_t)in[i], a), v1 = b64_value((uint8_t)in[i + 1], a);
        unsigned v2 = len - i == 3 ? b64_value((uint8_t)in[i + 2], a) : 0;
        bad |= v0 | v1 | v2;
        uint32_t v = (v0 & 63u) << 18 | (v1 & 63u) << 12 | (v2 & 63u) << 6;
        out[o++] = (uint8_t)(v >> 16);
        if (len - i == 3)
            out[o++] = (uint8_t)(v >> 8);
    }
    return (bad & 0x100u) ? OE_EFORMAT : (int)o;
}

/* The number of '=' at the end of in (at most 3 are counted). */
static size_t padding(const char *in, size_t len)
{
    size_t p = 0;
    while (p < 3 && p < len && in[len - 1 - p] == '=')
        p++;
    return p;
}

int oe_base64_decode(uint8_t *out, size_t cap, const char *in, size_t len)
{
    size_t p = padding(in, len);
    if (len % 4 != 0 || p > 2)
        return OE_EFORMAT;
    return decode(out, cap, in, len - p, &b64);
}

int oe_base64url_decode(uint8_t *out, size_t cap, const char *in, size_t len)
{
    size_t p = padding(in, len);
    if (p > 2)
        return OE_EFORMAT;
    return decode(out, cap, in, len - p, &b64url);
}
