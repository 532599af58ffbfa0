/*
 * libFuzzer: the DNS message reader. Parses, iterates every RR, prints each one (presentation and
 * RFC 3597 forms), rebuilds the message through the writer (response with every RR copied) and
 * re-parses the result, which must succeed whenever the input parsed.
 */
#include <stdlib.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_dns_msg_t m, back;
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    oe_dns_writer_t w;
    oe_buf_t out = {0};
    static uint8_t buf[65536];
    size_t len;

    if (oe_dns_msg_parse(&m, OE_SLICE(data, size)) < 0)
        return 0;
    oe_dns_writer_init_response(&w, buf, sizeof(buf), &m, 0, m.rcode);
    oe_dns_iter_init(&it, &m, OE_DNS_SEC_ALL);
    while (oe_dns_iter_next(&it, &rr) == 1) {
        char name[OE_DNS_NAME_TEXT_MAX];
        uint8_t wire[OE_DNS_NAME_MAX];
        if (oe_dns_name_to_text(rr.name, name, sizeof(name)) < 0 ||
            oe_dns_name_unpack(rr.name, wire) < 0)
            abort(); /* parse validated every owner name */
        oe_dns_rr_print(&out, &rr);
        oe_dns_rr_print_generic(&out, &rr);
        if (rr.type != OE_DNS_T_OPT && rr.type != OE_DNS_T_TSIG)
            oe_dns_write_rr_copy(&w, rr.section, &rr);
    }
    if (oe_dns_writer_finish(&w, &len) == 0) {
        int rc = oe_dns_msg_parse(&back, OE_SLICE(buf, len));
        if (rc < 0)
            abort();
    }
    oe_buf_free(&out);
    return 0;
}
