/* libFuzzer target: the ACME JSON reader. Any input must be checked, looked into and decoded
 * without reading outside it; what oe_acme_json_check accepts, the lookups must walk without a
 * format error (they re-validate the same text), and every array must iterate to its end. */
#include <stdlib.h>

#include "acme/acme_json.h"

static void walk(oe_slice_t v, int depth)
{
    char out[256];
    oe_slice_t m, e;
    if (depth > 4)
        return;
    if (v.len > 0 && v.base[0] == '{') {
        static const char *const keys[] = {"status",     "type",  "detail",
                                           "challenges", "token", "url"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            int rc = oe_acme_json_member(v, keys[i], &m);
            if (rc == OE_EFORMAT)
                abort();
            if (rc == 0) {
                oe_acme_json_string(m, out, sizeof(out));
                walk(m, depth + 1);
            }
        }
    } else if (v.len > 0 && v.base[0] == '[') {
        size_t pos = 0;
        int rc, n = 0;
        while ((rc = oe_acme_json_array_next(v, &pos, &e)) == 1 && n++ < 64)
            walk(e, depth + 1);
        if (rc < 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_slice_t doc = OE_SLICE(data, size);
    char out[64];
    oe_slice_t m;
    if (oe_acme_json_check(doc) != 0) {
        /* Lookups on malformed text must fail cleanly too. */
        oe_acme_json_member(doc, "status", &m);
        oe_acme_json_string(doc, out, sizeof(out));
        return 0;
    }
    /* A checked document: trim the white space around it, as a lookup's value would be. */
    while (doc.len > 0 && (doc.base[0] == ' ' || doc.base[0] == '\t' || doc.base[0] == '\n' ||
                           doc.base[0] == '\r'))
        doc.base++, doc.len--;
    walk(doc, 0);
    return 0;
}
