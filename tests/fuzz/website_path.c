/* libFuzzer target: the website module's pure parsers on arbitrary bytes. Besides "no crash, no
 * UB", it checks their contracts: a resolved path never climbs or hides a separator and survives
 * a re-encode round trip; a range lies inside the file; a parsed date formats and parses back to
 * itself; q-values stay within 0..1000. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "website/website_fields.h"
#include "website/website_path.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_rel(const char *rel)
{
    size_t n = strlen(rel);
    check(n <= OE_WEBSITE_PATH_MAX);
    if (n == 0)
        return;
    check(rel[0] != '/' && rel[n - 1] != '/');
    check(strchr(rel, '\\') == NULL);
    /* Every segment is a non-empty name that is neither "." nor "..", and not hidden. */
    for (const char *s = rel; s != NULL;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        check(len > 0);
        check(s[0] != '.' || (len == 11 && memcmp(s, ".well-known", 11) == 0));
        s = e ? e + 1 : NULL;
    }
}

static void fuzz_path(oe_slice_t in)
{
    static char rel[OE_WEBSITE_PATH_MAX + 1], rel2[OE_WEBSITE_PATH_MAX + 1];
    static char enc[3 * OE_WEBSITE_PATH_MAX + 2];
    bool dir;
    int rc = oe_website_resolve(in, rel, sizeof(rel), &dir);
    check(rc == 0 || rc == OE_EFORMAT || rc == -ENOENT);
    if (rc != 0)
        return;
    check_rel(rel);
    enc[0] = '/';
    int n = oe_website_path_encode(rel, enc + 1, sizeof(enc) - 1);
    check(n >= 0);
    bool dir2;
    check(oe_website_resolve(OE_SLICE(enc, (size_t)n + 1), rel2, sizeof(rel2), &dir2) == 0);
    check(strcmp(rel, rel2) == 0);
    (void)oe_website_mime(OE_SLICE_STR(rel));
    /* A small buffer must fail cleanly or give a prefix-free result. */
    char small[16];
    rc = oe_website_resolve(in, small, sizeof(small), &dir);
    check(rc != 0 || strcmp(small, rel) == 0);
}

static void fuzz_range(oe_slice_t in)
{
    static const uint64_t sizes[] = {0, 1, 10, 1000, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t off = 0, len = 0;
        oe_website_range_t r = oe_website_parse_range(in, sizes[i], &off, &len);
        check(r == OE_WEBSITE_RANGE_OK || r == OE_WEBSITE_RANGE_UNSATISFIABLE ||
              r == OE_WEBSITE_RANGE_IGNORE);
        if (r == OE_WEBSITE_RANGE_OK)
            check(len >= 1 && off < sizes[i] && len <= sizes[i] - off);
    }
}

static void fuzz_date(oe_slice_t in)
{
    int64_t t, back;
    if (oe_website_parse_date(in, 1748736000, &t) != 0)
        return;
    char buf[OE_WEBSITE_DATE_LEN + 1];
    oe_website_format_date(t, buf);
    check(strlen(buf) == OE_WEBSITE_DATE_LEN);
    check(oe_website_parse_date(OE_SLICE_STR(buf), 1748736000, &back) == 0);
    check(back == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_slice_t in = OE_SLICE(data, size);
    fuzz_path(in);
    fuzz_range(in);
    fuzz_date(in);
    unsigned br, gz;
    oe_website_accept_encoding(in, &br, &gz);
    check(br <= 1000 && gz <= 1000);
    (void)oe_website_etag_match(in, OE_SLICE_STR("\"5f3a-1c\""), false);
    (void)oe_website_etag_match(OE_SLICE_STR("\"a\", W/\"5f3a-1c\", *"), in, true);
    return 0;
}
