/* core/oe.h: number formatting and shared blobs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/oe.h"
#include "unit/test.h"

TEST(oe_fmt_dec_and_hex_match_printf)
{
    static const uint64_t v[] = {0,
                                 1,
                                 9,
                                 10,
                                 15,
                                 16,
                                 99,
                                 100,
                                 255,
                                 256,
                                 4096,
                                 999999,
                                 1000000,
                                 UINT32_MAX,
                                 (uint64_t)UINT32_MAX + 1,
                                 1234567890123456789u,
                                 UINT64_MAX - 1,
                                 UINT64_MAX};
    for (size_t i = 0; i < OE_ARRAY_SIZE(v); i++) {
        char got[24], want[24];
        memset(got, 'x', sizeof(got));
        size_t n = oe_fmt_dec(got, v[i]);
        snprintf(want, sizeof(want), "%" PRIu64, v[i]);
        CHECK_STR(got, want);
        CHECK_INT(n, strlen(want));
        memset(got, 'x', sizeof(got));
        n = oe_fmt_hex(got, v[i]);
        snprintf(want, sizeof(want), "%" PRIx64, v[i]);
        CHECK_STR(got, want);
        CHECK_INT(n, strlen(want));
    }
}

TEST(oe_blob_counts_references)
{
    oe_blob_t *b = oe_blob_new(5);
    memcpy(b->data, "hello", 5);
    CHECK_INT(b->refs, 1);
    CHECK(oe_blob_ref(b) == b);
    CHECK_INT(b->refs, 2);
    oe_blob_unref(b);
    CHECK_INT(b->refs, 1);
    CHECK(memcmp(b->data, "hello", 5) == 0);
    oe_blob_unref(b); /* freed: ASan and valgrind builds see a leak or a double free otherwise */
    oe_blob_unref(NULL);
}
