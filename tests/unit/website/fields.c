/* Range, entity-tag lists, HTTP dates and Accept-Encoding, as a static-file server reads them. */
#include <stdio.h>
#include <string.h>

#include "unit/test.h"
#include "website/website_fields.h"

static uint64_t r_off, r_len;

static int range(const char *h, uint64_t size)
{
    r_off = r_len = 12345;
    return oe_website_parse_range(OE_SLICE_STR(h), size, &r_off, &r_len);
}

#define RANGE_OK(h, size, off, len)                                                                \
    do {                                                                                           \
        CHECK_INT(range(h, size), OE_WEBSITE_RANGE_OK);                                            \
        CHECK_INT(r_off, off);                                                                     \
        CHECK_INT(r_len, len);                                                                     \
    } while (0)

TEST(website_range_single_ranges)
{
    RANGE_OK("bytes=0-0", 10, 0, 1);
    RANGE_OK("bytes=0-9", 10, 0, 10);
    RANGE_OK("bytes=2-5", 10, 2, 4);
    RANGE_OK("bytes=9-9", 10, 9, 1);
    RANGE_OK("bytes=3-", 10, 3, 7);
    RANGE_OK("bytes=9-", 10, 9, 1);
    RANGE_OK("bytes=0-100", 10, 0, 10);
    RANGE_OK("bytes=-3", 10, 7, 3);
    RANGE_OK("bytes=-10", 10, 0, 10);
    RANGE_OK("bytes=-20", 10, 0, 10);
    RANGE_OK("bytes=-1", 1, 0, 1);
    /* Case-insensitive unit, optional whitespace and empty list elements (RFC 9110 §5.6.1). */
    RANGE_OK("Bytes=1-2", 10, 1, 2);
    RANGE_OK("BYTES=1-2", 10, 1, 2);
    RANGE_OK(" bytes=1-2 ", 10, 1, 2);
    RANGE_OK("bytes= 1-2", 10, 1, 2);
    RANGE_OK("bytes=1-2,", 10, 1, 2);
    RANGE_OK("bytes=, ,1-2", 10, 1, 2);
    RANGE_OK("bytes=0000000000000000000000000001-2", 10, 1, 2);
}

TEST(website_range_unsatisfiable)
{
    CHECK_INT(range("bytes=-0", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=-000", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=10-", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=10-20", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=0-", 0), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=0-0", 0), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=-5", 0), OE_WEBSITE_RANGE_UNSATISFIABLE);
    /* The result parameters are not touched. */
    CHECK_INT(r_off, 12345);
    CHECK_INT(r_len, 12345);
}

TEST(website_range_overflowing_numbers_saturate)
{
    /* A first-pos beyond 2^64 is beyond any end; a last-pos or suffix that large means all. */
    CHECK_INT(range("bytes=99999999999999999999999-", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    CHECK_INT(range("bytes=18446744073709551615-", 10), OE_WEBSITE_RANGE_UNSATISFIABLE);
    RANGE_OK("bytes=0-99999999999999999999999", 10, 0, 10);
    RANGE_OK("bytes=5-18446744073709551616", 10, 5, 5);
    RANGE_OK("bytes=-99999999999999999999999", 10, 0, 10);
    RANGE_OK("bytes=18446744073709551614-", UINT64_MAX, UINT64_MAX - 1, 1);
    RANGE_OK("bytes=0-", UINT64_MAX, 0, UINT64_MAX);
    /* Saturated first > last: invalid, whole file. */
    CHECK_INT(range("bytes=99999999999999999999999-5", 10), OE_WEBSITE_RANGE_IGNORE);
}

TEST(website_range_ignored)
{
    /* Invalid int-range: last < first (RFC 9110 §14.1.1). */
    CHECK_INT(range("bytes=5-2", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=a-", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=-a", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=1-a", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=-", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=,", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=0--1", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=1-2-3", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=1-2 x", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=+1-2", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes 0-1", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes = 0-1", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("items=0-1", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("byte=0-1", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("junk", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("\xff\xfe", 10), OE_WEBSITE_RANGE_IGNORE);
    /* Several ranges: no multipart/byteranges, the whole file instead. */
    CHECK_INT(range("bytes=0-1,3-4", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=0-1, -2", 10), OE_WEBSITE_RANGE_IGNORE);
    CHECK_INT(range("bytes=20-30,40-50", 10), OE_WEBSITE_RANGE_IGNORE);
    /* A slice is not NUL-terminated: a stop in the middle of the digits ends the number. */
    CHECK_INT(oe_website_parse_range(OE_SLICE("bytes=1-23", 9), 10, &r_off, &r_len),
              OE_WEBSITE_RANGE_OK);
    CHECK_INT(r_len, 2);
}

static bool inm(const char *header, const char *etag)
{
    return oe_website_etag_match(OE_SLICE_STR(header), OE_SLICE_STR(etag), false);
}

static bool ifrange(const char *header, const char *etag)
{
    return oe_website_etag_match(OE_SLICE_STR(header), OE_SLICE_STR(etag), true);
}

TEST(website_etag_lists)
{
    const char *e = "\"5f3a-1c\"";
    CHECK(inm("\"5f3a-1c\"", e));
    CHECK(inm("W/\"5f3a-1c\"", e));
    CHECK(inm("\"aaa\", \"5f3a-1c\"", e));
    CHECK(inm("\"aaa\",\"5f3a-1c\",\"bbb\"", e));
    CHECK(inm(" , \"aaa\" ,, W/\"5f3a-1c\" ", e));
    CHECK(inm("*", e));
    CHECK(inm("  *  ", e));
    CHECK(!inm("\"5f3a-1d\"", e));
    CHECK(!inm("\"5F3A-1C\"", e));
    CHECK(!inm("\"aaa\", \"bbb\"", e));
    CHECK(!inm("5f3a-1c", e));
    CHECK(!inm("", e));
    CHECK(!inm("*, \"aaa\"", e));
    CHECK(!inm("w/\"5f3a-1c\"", e));
    /* A list is read as far as it is well-formed. */
    CHECK(!inm("\"aaa\" junk, \"5f3a-1c\"", e));
    CHECK(!inm("\"unterminated, \"5f3a-1c\"", e));
    CHECK(inm("\"5f3a-1c\", junk", e));
    /* Our own tag may be weak too. */
    CHECK(inm("\"x\"", "W/\"x\""));
    CHECK(inm("W/\"x\"", "W/\"x\""));
    CHECK(!inm("\"x\"", "x"));
}

TEST(website_etag_strong_comparison_for_if_range)
{
    const char *e = "\"5f3a-1c\"";
    CHECK(ifrange("\"5f3a-1c\"", e));
    CHECK(!ifrange("W/\"5f3a-1c\"", e));
    CHECK(!ifrange("\"5f3a-1c\"", "W/\"5f3a-1c\""));
    CHECK(!ifrange("\"other\"", e));
}

static int64_t parse(const char *s)
{
    int64_t t = -1;
    /* now = 2025-06-01T00:00:00Z for the two-digit-year rule */
    if (oe_website_parse_date(OE_SLICE_STR(s), 1748736000, &t) < 0)
        return -999;
    return t;
}

static const char *fmt(int64_t t)
{
    static char buf[OE_WEBSITE_DATE_LEN + 1];
    memset(buf, 'X', sizeof(buf));
    oe_website_format_date(t, buf);
    return buf;
}

TEST(website_date_formats)
{
    CHECK_STR(fmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_STR(fmt(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK_STR(fmt(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK_STR(fmt(1748736000), "Sun, 01 Jun 2025 00:00:00 GMT");
    CHECK_STR(fmt(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
    CHECK_STR(fmt(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    CHECK_STR(fmt(-86400), "Wed, 31 Dec 1969 00:00:00 GMT");
    CHECK_STR(fmt(-2208988800), "Mon, 01 Jan 1900 00:00:00 GMT");
    CHECK_STR(fmt(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK_STR(fmt(-62135596800), "Mon, 01 Jan 0001 00:00:00 GMT");
    /* Clamped to four-digit years. */
    CHECK_STR(fmt(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK_STR(fmt(INT64_MIN), "Mon, 01 Jan 0001 00:00:00 GMT");
    CHECK_INT(strlen(fmt(12345)), OE_WEBSITE_DATE_LEN);
}

TEST(website_date_parses_three_formats)
{
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    CHECK_INT(parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    CHECK_INT(parse("Sun Nov  6 08:49:37 1994"), 784111777);
    CHECK_INT(parse("Sun Nov 16 08:49:37 1994"), 784111777 + 10 * 86400);
    CHECK_INT(parse("  Thu, 01 Jan 1970 00:00:00 GMT\t"), 0);
    CHECK_INT(parse("Thu, 29 Feb 2024 12:00:00 GMT"), 1709208000);
    /* A leap second is accepted and counts into the next minute. */
    CHECK_INT(parse("Wed, 31 Dec 2008 23:59:60 GMT"), 1230768000);
    /* The weekday is spelled right but not cross-checked. */
    CHECK_INT(parse("Mon, 06 Nov 1994 08:49:37 GMT"), 784111777);
}

TEST(website_date_two_digit_years)
{
    /* now is 2025: up to 50 years ahead stays in this century, beyond goes back 100 years. */
    CHECK_INT(parse("Thursday, 01-Jan-70 00:00:00 GMT"), 3155760000);
    CHECK_INT(parse("Friday, 01-Jan-75 00:00:00 GMT"), 3313526400);
    CHECK_INT(parse("Thursday, 01-Jan-76 00:00:00 GMT"), 189302400);
    CHECK_INT(parse("Wednesday, 01-Jan-25 00:00:00 GMT"), 1735689600);
    CHECK_INT(parse("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
    CHECK_INT(parse("Friday, 31-Dec-99 23:59:59 GMT"), 946684799);
}

TEST(website_date_rejects)
{
    CHECK_INT(parse(""), -999);
    CHECK_INT(parse("yesterday"), -999);
    CHECK_INT(parse("Sun, 6 Nov 1994 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 94 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:37 UTC"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:37"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:37 GMT x"), -999);
    CHECK_INT(parse("Sun, 06 nov 1994 08:49:37 GMT"), -999);
    CHECK_INT(parse("sun, 06 Nov 1994 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sun,06 Nov 1994 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 24:00:00 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:60:00 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:61 GMT"), -999);
    CHECK_INT(parse("Sun, 31 Feb 2021 00:00:00 GMT"), -999);
    CHECK_INT(parse("Sun, 29 Feb 2100 00:00:00 GMT"), -999);
    CHECK_INT(parse("Sun, 00 Jan 2021 00:00:00 GMT"), -999);
    CHECK_INT(parse("Sun, 01 Jan 0000 00:00:00 GMT"), -999);
    CHECK_INT(parse("Sun, 01 Foo 2021 00:00:00 GMT"), -999);
    CHECK_INT(parse("Sunday, 06-Nov-1994 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sunday, 06 Nov 94 08:49:37 GMT"), -999);
    CHECK_INT(parse("Sun Nov 6 08:49:37 1994"), -999);
    CHECK_INT(parse("Sun Nov  6 08:49:37 94"), -999);
    CHECK_INT(parse("Sun Nov  6 08:49:37 1994 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 8:49:37 GMT"), -999);
    CHECK_INT(parse("Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT"), -999);
    /* Cut short: a slice that ends inside the date. */
    int64_t t;
    CHECK_INT(oe_website_parse_date(OE_SLICE("Sun, 06 Nov 1994 08:49:37 GMT", 28), 0, &t),
              OE_EFORMAT);
}

TEST(website_date_round_trips)
{
    char buf[OE_WEBSITE_DATE_LEN + 1];
    /* Every format/parse pair over ±200 years in uneven steps, and the extremes. */
    for (int64_t t = -6311520000; t < 6311520000; t += 7777777) {
        oe_website_format_date(t, buf);
        int64_t back;
        CHECK_INT(oe_website_parse_date(OE_SLICE_STR(buf), 1748736000, &back), 0);
        CHECK_INT(back, t);
    }
    const int64_t edges[] = {-62135596800, 253402300799, 0, 951868799, 951868800, 4107542400};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        oe_website_format_date(edges[i], buf);
        int64_t back;
        CHECK_INT(oe_website_parse_date(OE_SLICE_STR(buf), 0, &back), 0);
        CHECK_INT(back, edges[i]);
    }
}

static unsigned q_br, q_gz;
static void ae(const char *h)
{
    q_br = q_gz = 12345;
    oe_website_accept_encoding(OE_SLICE_STR(h), &q_br, &q_gz);
}

#define AE(h, br, gz)                                                                              \
    do {                                                                                           \
        ae(h);                                                                                     \
        CHECK_INT(q_br, br);                                                                       \
        CHECK_INT(q_gz, gz);                                                                       \
    } while (0)

TEST(website_accept_encoding_q_values)
{
    AE("gzip, deflate, br", 1000, 1000);
    AE("gzip, deflate, br, zstd", 1000, 1000);
    AE("gzip", 0, 1000);
    AE("br", 1000, 0);
    AE("BR, GZip", 1000, 1000);
    AE("x-gzip", 0, 1000);
    AE("br;q=0, gzip", 0, 1000);
    AE("br;q=0.0, gzip;q=0.000", 0, 0);
    AE("gzip;q=0.8, br;q=0.9", 900, 800);
    AE("gzip;Q=0.5", 0, 500);
    AE("gzip ; q=0.5 , br ;q=1.000", 1000, 500);
    AE("gzip;q=0.001", 0, 1);
    AE("gzip;q=1", 0, 1000);
    AE("gzip;q=0.", 0, 0);
    AE("gzip;q=1.", 0, 1000);
    /* Wildcard: for every coding not listed. */
    AE("*", 1000, 1000);
    AE("*;q=0.5, br;q=0", 0, 500);
    AE("gzip, *;q=0", 0, 1000);
    AE("identity;q=0, *;q=0.3", 300, 300);
    /* Nothing acceptable but identity. */
    AE("", 0, 0);
    AE("identity", 0, 0);
    AE("deflate, zstd", 0, 0);
    AE(",,, ,", 0, 0);
}

TEST(website_accept_encoding_malformed_elements_refused)
{
    AE("gzip;q=1.5", 0, 0);
    AE("gzip;q=2", 0, 0);
    AE("gzip;q=0.9999", 0, 0);
    AE("gzip;q=-1", 0, 0);
    AE("gzip;q=", 0, 0);
    AE("gzip;q", 0, 0);
    AE("gzip;q=abc, br", 1000, 0);
    AE("gzip junk, br", 1000, 0);
    AE("gzip;level=9", 0, 1000);
    AE("br\"x\", gzip", 0, 1000);
    /* Explicit refusal beats the wildcard, in either order. */
    AE("br;q=0, *", 0, 1000);
    AE("*, br;q=0", 0, 1000);
}
