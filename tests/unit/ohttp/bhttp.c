/*
 * Binary HTTP (RFC 9292) beyond the RFC 9458 example: the RFC's own known-length and
 * indeterminate-length requests, round trips of what we encode, truncation and padding, and
 * malformed input: lengths that lie, bad framing, bad field names and values, too many fields.
 */
#include <stdlib.h>

#include "ohttp/bhttp.h"
#include "unit/test.h"

/* RFC 9292 §5.1 example request, known-length form. */
static const char figure_known[] =
    "0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31"
    "362e33206c69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304"
    "686f73740f7777772e6578616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000";

TEST(bhttp_rfc9292_known_length_request)
{
    size_t len;
    uint8_t *in = oe_test_unhex(figure_known, &len);
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[8];
    CHECK_INT(oe_bhttp_decode(&m, in, len, f, 8, NULL, 0), 0);
    CHECK_INT(m.framing, 0);
    CHECK_MEM(m.method.base, m.method.len, "GET", 3);
    CHECK_MEM(m.scheme.base, m.scheme.len, "https", 5);
    CHECK_INT(m.authority.len, 0);
    CHECK_MEM(m.path.base, m.path.len, "/hello.txt", 10);
    CHECK_INT(m.nfields, 3);
    oe_slice_t host = oe_bhttp_field(&m, "host");
    CHECK_MEM(host.base, host.len, "www.example.com", 15);
    CHECK(oe_bhttp_field(&m, "Accept-Language").base != NULL);
    CHECK(oe_bhttp_field(&m, "accept").base == NULL);
    /* Only two fields fit: OE_ESPACE, not a partial message. */
    CHECK_INT(oe_bhttp_decode(&m, in, len, f, 2, NULL, 0), OE_ESPACE);
    /* Every truncation is refused, or is a section boundary (allowed, §3.8): the end of the
     * control data (23 bytes) or of the field section (len - 2). */
    for (size_t n = 0; n < len; n++) {
        int rc = oe_bhttp_decode(&m, in, n, f, 8, NULL, 0);
        if (n == 23 || n >= len - 2)
            CHECK_INT(rc, 0);
        else
            CHECK(rc == OE_ETRUNC || rc == OE_EFORMAT);
    }
    free(in);
}

TEST(bhttp_indeterminate_request_with_chunks_and_padding)
{
    /* framing 2, POST https example.com /q, fields a: b, content "he" "llo", trailers t: 1,
     * then padding. */
    static const uint8_t in[] = {2,   4,   'P', 'O', 'S', 'T', 5,   'h', 't', 't', 'p', 's',
                                 11,  'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
                                 2,   '/', 'q', 1,   'a', 1,   'b', 0,   2,   'h', 'e', 3,
                                 'l', 'l', 'o', 0,   1,   't', 1,   '1', 0,   0,   0,   0};
    uint8_t buf[16];
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    CHECK_INT(oe_bhttp_decode(&m, in, sizeof(in), f, 4, buf, sizeof(buf)), 0);
    CHECK_INT(m.framing, 2);
    CHECK_INT(m.nfields, 1); /* trailers are checked, not returned */
    CHECK_MEM(m.content.base, m.content.len, "hello", 5);
    /* Chunks larger than the buffer. */
    CHECK_INT(oe_bhttp_decode(&m, in, sizeof(in), f, 4, buf, 4), OE_ESPACE);
    /* Non-zero padding. */
    uint8_t bad[sizeof(in)];
    memcpy(bad, in, sizeof(in));
    bad[sizeof(in) - 1] = 1;
    CHECK_INT(oe_bhttp_decode(&m, bad, sizeof(bad), f, 4, buf, sizeof(buf)), OE_EFORMAT);
    /* Truncated inside the field section (no terminator): ETRUNC. */
    CHECK_INT(oe_bhttp_decode(&m, in, 31, f, 4, buf, sizeof(buf)), OE_ETRUNC);
    /* Truncated inside the chunks. */
    CHECK_INT(oe_bhttp_decode(&m, in, 36, f, 4, buf, sizeof(buf)), OE_ETRUNC);
}

/* Firefox's TRR requests name their fields as "Content-Type", "Accept": accepted, and found
 * without regard to case (regression: they were refused as malformed, inner 400). */
TEST(bhttp_field_names_in_mixed_case)
{
    static const uint8_t in[] = {0,   4,   'P', 'O', 'S', 'T', 0,   0,   1,   '/',
                                 15,  12,  'C', 'o', 'n', 't', 'e', 'n', 't', '-',
                                 'T', 'y', 'p', 'e', 1,   'x', 0,   0};
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    CHECK_INT(oe_bhttp_decode(&m, in, sizeof(in), f, 4, NULL, 0), 0);
    oe_slice_t v = oe_bhttp_field(&m, "content-type");
    CHECK_MEM(v.base, v.len, "x", 1);
}

TEST(bhttp_lying_lengths)
{
    /* A control string longer than the message. */
    static const uint8_t a[] = {0, 0x40, 0x10, 'G', 'E', 'T'};
    /* A field section that says 10 bytes but holds a line of 6 that runs past it: the line's
     * own lengths overrun the section. */
    static const uint8_t b[] = {0, 3, 'G', 'E', 'T', 0, 0, 0, 4, 1, 'a', 5, 'b', 'c', 'd', 'e'};
    /* Content declared with an 8-byte varint of 2^62 - 1. */
    static const uint8_t c[] = {0,    3,    'G',  'E',  'T',  0,    0,    0,   0,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* A varint cut short. */
    static const uint8_t d[] = {0, 0x80, 0x00};
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    CHECK_INT(oe_bhttp_decode(&m, a, sizeof(a), f, 4, NULL, 0), OE_ETRUNC);
    CHECK_INT(oe_bhttp_decode(&m, b, sizeof(b), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, c, sizeof(c), f, 4, NULL, 0), OE_ETRUNC);
    CHECK_INT(oe_bhttp_decode(&m, d, sizeof(d), f, 4, NULL, 0), OE_ETRUNC);
}

TEST(bhttp_refuses_bad_framing_fields_and_status)
{
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    static const uint8_t framing[] = {4, 0};
    static const uint8_t colon[] = {0, 3, 'G', 'E', 'T', 0, 0, 0, 4, 1, ':', 1, 'b'};
    static const uint8_t crlf[] = {0, 3, 'G', 'E', 'T', 0, 0, 0, 5, 1, 'a', 2, '\r', '\n'};
    static const uint8_t empty_name[] = {0, 3, 'G', 'E', 'T', 0, 0, 0, 3, 0, 1, 'b'};
    static const uint8_t no_method[] = {0, 0, 0, 0, 0};
    static const uint8_t scheme_no_path[] = {0, 3, 'G', 'E', 'T', 1, 'h', 0, 0};
    static const uint8_t status_99[] = {1, 0x40, 99};
    static const uint8_t status_600[] = {1, 0x42, 0x58};
    static const uint8_t only_1xx[] = {1, 0x40, 103, 0};
    static const uint8_t with_1xx[] = {1, 0x40, 103, 0, 0x40, 204, 0, 0, 0};
    CHECK_INT(oe_bhttp_decode(&m, framing, sizeof(framing), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, colon, sizeof(colon), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, crlf, sizeof(crlf), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, empty_name, sizeof(empty_name), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, no_method, sizeof(no_method), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, scheme_no_path, sizeof(scheme_no_path), f, 4, NULL, 0),
              OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, status_99, sizeof(status_99), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, status_600, sizeof(status_600), f, 4, NULL, 0), OE_EFORMAT);
    CHECK_INT(oe_bhttp_decode(&m, only_1xx, sizeof(only_1xx), f, 4, NULL, 0), OE_ETRUNC);
    CHECK_INT(oe_bhttp_decode(&m, with_1xx, sizeof(with_1xx), f, 4, NULL, 0), 0);
    CHECK_INT(m.status, 204);
}

TEST(bhttp_encode_round_trip)
{
    oe_bhttp_field_t fields[] = {{OE_SLICE_STR("accept"), OE_SLICE_STR("application/dns-message")},
                                 {OE_SLICE_STR("content-type"), OE_SLICE_STR("x/y")}};
    uint8_t body[300], out[512];
    memset(body, 0x5a, sizeof(body));
    int n = oe_bhttp_encode_request(out, sizeof(out), OE_SLICE_STR("POST"), OE_SLICE_STR("https"),
                                    OE_SLICE_STR("dns.test"), OE_SLICE_STR("/dns-query"), fields, 2,
                                    OE_SLICE(body, sizeof(body)));
    CHECK(n > 0);
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    CHECK_INT(oe_bhttp_decode(&m, out, (size_t)n, f, 4, NULL, 0), 0);
    CHECK_MEM(m.authority.base, m.authority.len, "dns.test", 8);
    CHECK_INT(m.nfields, 2);
    CHECK_MEM(m.content.base, m.content.len, body, sizeof(body));
    /* Every output size short of n is OE_ESPACE. */
    for (int cap = 0; cap < n; cap++)
        CHECK_INT(oe_bhttp_encode_request(out, (size_t)cap, OE_SLICE_STR("POST"),
                                          OE_SLICE_STR("https"), OE_SLICE_STR("dns.test"),
                                          OE_SLICE_STR("/dns-query"), fields, 2,
                                          OE_SLICE(body, sizeof(body))),
                  OE_ESPACE);
    n = oe_bhttp_encode_response(out, sizeof(out), 200, fields + 1, 1, OE_SLICE("ab", 2));
    static const uint8_t want[] = {1,   0x40, 200, 17,  12, 'c', 'o', 'n', 't', 'e', 'n', 't', '-',
                                   't', 'y',  'p', 'e', 3,  'x', '/', 'y', 2,   'a', 'b', 0};
    CHECK_MEM(out, (size_t)n, want, sizeof(want));
    CHECK_INT(oe_bhttp_encode_response(out, sizeof(out), 99, NULL, 0, OE_SLICE(NULL, 0)),
              OE_EINVAL);
}

TEST(bhttp_varints)
{
    uint8_t b[8];
    static const uint64_t vals[] = {
        0, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, (1ull << 62) - 1};
    static const int lens[] = {1, 1, 2, 2, 4, 4, 8, 8};
    for (size_t i = 0; i < 8; i++) {
        CHECK_INT(oe_bhttp_varint_put(b, sizeof(b), vals[i]), lens[i]);
        size_t pos = 0;
        uint64_t v;
        CHECK_INT(oe_bhttp_varint_get(b, (size_t)lens[i], &pos, &v), 0);
        CHECK(v == vals[i]);
        CHECK_INT(pos, lens[i]);
    }
    CHECK_INT(oe_bhttp_varint_put(b, sizeof(b), 1ull << 62), OE_EINVAL);
    CHECK_INT(oe_bhttp_varint_put(b, 1, 64), OE_ESPACE);
}
