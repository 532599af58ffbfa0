/* Query parameters and percent-decoding (see uri.h). */
#include "core/uri.h"

#include "crypto/encode.h"

oe_slice_t oe_uri_query_param(oe_slice_t query, const char *name)
{
    size_t nl = strlen(name);
    const uint8_t *p = query.base, *end = query.base + query.len;
    while (p != NULL && p < end) {
        const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
        const uint8_t *e = amp ? amp : end;
        if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
            return OE_SLICE(p + nl + 1, (size_t)(e - p - nl - 1));
        p = e + 1;
    }
    return OE_SLICE(NULL, 0);
}

int oe_uri_pct_decode(char *out, size_t cap, oe_slice_t in, bool plus_is_space)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        int ch = in.base[i];
        if (ch == '%') {
            int hi = i + 2 < in.len ? oe_hex_digit(in.base[i + 1]) : -1;
            int lo = i + 2 < in.len ? oe_hex_digit(in.base[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return OE_EFORMAT;
            ch = hi << 4 | lo;
            i += 2;
        } else if (ch == '+' && plus_is_space) {
            ch = ' ';
        }
        if (ch == 0)
            return OE_EFORMAT;
        if (n + 1 >= cap)
            return OE_ESPACE;
        out[n++] = (char)ch;
    }
    if (cap == 0)
        return OE_ESPACE;
    out[n] = '\0';
    return (int)n;
}
