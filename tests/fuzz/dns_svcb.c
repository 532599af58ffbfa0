/*
 * libFuzzer: SVCB/HTTPS RDATA. Decodes, prints, re-encodes every param through the writer (which
 * must reproduce the input byte for byte), and parses the printed presentation form back, which
 * must give the same RDATA again when it contains no ech (not parsed from text).
 */
#include <stdlib.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_dns_svcb_t s;
    oe_dns_svcb_writer_t b;
    static uint8_t buf[65536 + 512];
    static oe_dns_rr_text_t t;
    oe_buf_t out = {0};
    size_t len;
    uint16_t key;
    oe_slice_t v;
    bool has_ech = false;

    if (oe_dns_svcb_parse(OE_SLICE(data, size), &s) < 0)
        return 0;
    if (oe_dns_svcb_print(&out, OE_SLICE(data, size)) < 0)
        abort();
    oe_dns_svcb_begin(&b, buf, sizeof(buf), s.priority, s.target);
    oe_slice_t p = s.params;
    while (oe_dns_svcb_param_next(&p, &key, &v) == 1) {
        has_ech |= key == OE_SVCB_ECH;
        oe_dns_svcb_add(&b, key, v);
    }
    if (oe_dns_svcb_end(&b, &len) < 0 || len != size || memcmp(buf, data, size) != 0)
        abort();

    /* Presentation round trip (small records only: the text parser's RDATA limit is 4096). */
    if (!has_ech && size < 1000 && (s.priority != 0 || s.params.len == 0)) {
        char err[256];
        oe_buf_t line = {0};
        oe_buf_printf(&line, "x. HTTPS %.*s", (int)out.len, (char *)out.base);
        oe_buf_append(&line, "", 1);
        int rc = oe_dns_rr_from_text((char *)line.base, &t, err, sizeof(err));
        /* mandatory may name a key that is absent, which the text parser refuses. */
        if (rc == 0 && (t.rdlen != size || memcmp(t.rdata, data, size) != 0))
            abort();
        oe_buf_free(&line);
    }
    oe_buf_free(&out);
    return 0;
}
