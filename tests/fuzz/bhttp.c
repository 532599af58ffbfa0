/* libFuzzer target: Binary HTTP decoding (RFC 9292), both framings. Whatever decodes must be
 * self-consistent: every slice inside the input or the content buffer, and a known-length request
 * encoded again from the decoded parts must decode to the same parts. */
#include <stdlib.h>

#include "ohttp/bhttp.h"

static int inside(oe_slice_t s, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (s.len == 0)
        return 1;
    return (s.base >= a && s.base + s.len <= a + alen) ||
           (s.base >= b && s.base + s.len <= b + blen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t content[4096], out[16384];
    oe_bhttp_field_t f[16], g[16];
    oe_bhttp_msg_t m, n;
    if (oe_bhttp_decode(&m, data, size, f, 16, content, sizeof(content)) != 0)
        return 0;
    if (m.nfields > 16 || !inside(m.content, data, size, content, sizeof(content)))
        abort();
    for (size_t i = 0; i < m.nfields; i++)
        if (!inside(f[i].name, data, size, NULL, 0) || !inside(f[i].value, data, size, NULL, 0) ||
            f[i].name.len == 0)
            abort();
    if (m.framing % 2 == 1) {
        if (m.status < 200 || m.status > 599)
            abort();
        return 0;
    }
    int len = oe_bhttp_encode_request(out, sizeof(out), m.method, m.scheme, m.authority, m.path, f,
                                      m.nfields, m.content);
    if (len < 0)
        return 0; /* content larger than out */
    if (oe_bhttp_decode(&n, out, (size_t)len, g, 16, NULL, 0) != 0 || n.nfields != m.nfields ||
        !oe_slice_eq(n.method, m.method) || !oe_slice_eq(n.path, m.path) ||
        !oe_slice_eq(n.authority, m.authority) || !oe_slice_eq(n.content, m.content))
        abort();
    return 0;
}
