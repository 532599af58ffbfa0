/*
 * DNS wire format: the reader against responses captured from knotd 3.2.6, the writer against
 * queries captured from dig 9.18 and kdig 3.2.6, and the reader's rejection of malformed input.
 * Fixtures were captured on 127.0.0.1 with a python UDP listener and a knotd serving odoh.test
 * (modules/dns/README.md, "Fixtures").
 */
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "unit/test.h"

/* knotd: "www.odoh.test. A" -> CNAME demo.odoh.test. (compressed), A 127.0.0.1, OPT 1232. */
#define KNOT_WWW_A                                                                                 \
    "12348500000100020000000103777777046f646f6804746573740000010001c00c000500010000012c00070464"   \
    "656d6fc010c02b000100010000012c00047f00000100002904d0000000000000"
/* knotd: "nope.odoh.test. A" -> NXDOMAIN, SOA in authority, names compressed. */
#define KNOT_NXDOMAIN                                                                              \
    "123485030001000000010001046e6f7065046f646f6804746573740000010001c011000600010000012c002703"   \
    "6e7331c0110a686f73746d6173746572c0110000000100000e1000000258000151800000012c00002904d00000"   \
    "00000000"
/* dig 9.18 +noad +nocookie +bufsize=1232 demo.odoh.test A */
#define DIG_QUERY                                                                                  \
    "bb0d010000010000000000010464656d6f046f646f68047465737400000100010000290"                      \
    "4d0000000000000"
/* kdig 3.2.6 +padding demo.odoh.test AAAA: RD AD, EDNS 4096, padded to 128 octets (RFC 8467) */
#define KDIG_PADDED_QUERY                                                                          \
    "2517012000010000000000010464656d6f046f646f68047465737400001c0001000029100000000000005500"     \
    "0c00510000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
/* dig +noedns Example.COM MX (case kept, RD AD, no OPT) */
#define DIG_NOEDNS_QUERY "997d01200001000000000000074578616d706c6503434f4d00000f0001"

static oe_slice_t unhex(const char *hex)
{
    size_t n;
    uint8_t *p = oe_test_unhex(hex, &n);
    return OE_SLICE(p, n);
}

static char *name_text(oe_dns_name_t n)
{
    static char buf[OE_DNS_NAME_TEXT_MAX];
    int rc = oe_dns_name_to_text(n, buf, sizeof(buf));
    if (rc < 0)
        snprintf(buf, sizeof(buf), "error %d", rc);
    return buf;
}

static int parse_hex(const char *hex)
{
    oe_dns_msg_t m;
    return oe_dns_msg_parse(&m, unhex(hex));
}

TEST(dns_parse_knot_cname_answer)
{
    oe_dns_msg_t m;
    oe_dns_rr_t rr;
    oe_dns_iter_t it;
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_WWW_A)), 0);
    CHECK_INT(m.hdr.id, 0x1234);
    CHECK(m.hdr.flags & OE_DNS_F_QR);
    CHECK(m.hdr.flags & OE_DNS_F_AA);
    CHECK_INT(m.rcode, OE_DNS_R_NOERROR);
    CHECK(m.has_opt);
    CHECK_INT(m.opt.udp_size, 1232);
    CHECK_INT(m.opt.version, 0);
    CHECK_INT(m.opt.flags, 0);
    CHECK(!m.has_tsig);

    CHECK_INT(oe_dns_msg_question(&m, &rr), 0);
    CHECK_STR(name_text(rr.name), "www.odoh.test.");
    CHECK_INT(rr.type, OE_DNS_T_A);

    oe_dns_iter_init(&it, &m, OE_DNS_SEC_ALL);
    CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
    CHECK_INT(rr.section, OE_DNS_SEC_ANSWER);
    CHECK_INT(rr.type, OE_DNS_T_CNAME);
    CHECK_INT(rr.ttl, 300);
    CHECK_STR(name_text(rr.name), "www.odoh.test.");
    CHECK_STR(name_text((oe_dns_name_t){rr.msg, rr.rdata_off}), "demo.odoh.test.");
    CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
    CHECK_INT(rr.type, OE_DNS_T_A);
    CHECK_STR(name_text(rr.name), "demo.odoh.test.");
    CHECK_MEM(rr.rdata.base, rr.rdata.len, "\x7f\0\0\x01", 4);
    CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
    CHECK_INT(rr.section, OE_DNS_SEC_ADDITIONAL);
    CHECK_INT(rr.type, OE_DNS_T_OPT);
    CHECK_INT(oe_dns_iter_next(&it, &rr), 0);
}

TEST(dns_parse_knot_nxdomain_soa)
{
    oe_dns_msg_t m;
    oe_dns_rr_t rr;
    oe_dns_iter_t it;
    oe_buf_t out = {0};
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_NXDOMAIN)), 0);
    CHECK_INT(m.rcode, OE_DNS_R_NXDOMAIN);
    oe_dns_iter_init(&it, &m, OE_DNS_SEC_AUTHORITY);
    CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
    oe_dns_rr_print(&out, &rr);
    oe_buf_append(&out, "", 1);
    /* kdig prints: odoh.test. 300 IN SOA ns1.odoh.test. hostmaster.odoh.test. 1 3600 600 86400 300
     */
    CHECK_STR((char *)out.base, "odoh.test.\t300\tIN\tSOA\tns1.odoh.test. hostmaster.odoh.test. 1 "
                                "3600 600 86400 300");
    CHECK_INT(oe_dns_iter_next(&it, &rr), 0);
    oe_buf_free(&out);
}

TEST(dns_extended_rcode_from_opt)
{
    /* Header RCODE 0 + OPT ext-rcode 1 = 16 (BADVERS, RFC 6891 §6.1.3). */
    oe_dns_msg_t m;
    CHECK_INT(oe_dns_msg_parse(&m, unhex("000080000000000000000001"
                                         "00002904d0010000000000")),
              0);
    CHECK_INT(m.rcode, OE_DNS_R_BADVERS);
}

TEST(dns_opt_with_options_and_do)
{
    oe_dns_msg_t m;
    uint16_t code;
    oe_slice_t v;
    /* DO set, version 0, a cookie option (8 octets) and an empty padding option. */
    CHECK_INT(oe_dns_msg_parse(&m, unhex("000000000000000000000001"
                                         "0000291000000080000010"
                                         "000a00080102030405060708000c0000")),
              0);
    CHECK_INT(m.opt.udp_size, 4096);
    CHECK_INT(m.opt.flags, OE_DNS_OPT_DO);
    oe_slice_t o = m.opt.options;
    CHECK_INT(oe_dns_opt_next(&o, &code, &v), 1);
    CHECK_INT(code, OE_DNS_EDNS_COOKIE);
    CHECK_MEM(v.base, v.len, "\1\2\3\4\5\6\7\x08", 8);
    CHECK_INT(oe_dns_opt_next(&o, &code, &v), 1);
    CHECK_INT(code, OE_DNS_EDNS_PADDING);
    CHECK_INT(v.len, 0);
    CHECK_INT(oe_dns_opt_next(&o, &code, &v), 0);
}

/* ---- malformed input --------------------------------------------------------------------- */

TEST(dns_reject_compression_loop)
{
    /* Two pointers at 12 and 14 pointing at each other. */
    CHECK_INT(parse_hex("000000000001000000000000"
                        "c00ec00c00010001"),
              OE_EFORMAT);
}

TEST(dns_reject_pointer_to_self)
{
    CHECK_INT(parse_hex("000000000001000000000000"
                        "c00c00010001"),
              OE_EFORMAT);
}

TEST(dns_reject_forward_pointer)
{
    /* Pointer at 12 to offset 18, where a valid name sits. */
    CHECK_INT(parse_hex("000000000001000000000000"
                        "c0120001000101610000"),
              OE_EFORMAT);
}

TEST(dns_reject_pointer_into_own_name)
{
    /* "a" then a pointer back to the start of the same name: backwards, but a loop. */
    CHECK_INT(parse_hex("000000000001000000000000"
                        "0161c00c00010001"),
              OE_EFORMAT);
}

TEST(dns_reject_label_over_63)
{
    /* 0x40 and 0x80 label types are not in use; 64 would be type 01. */
    CHECK_INT(parse_hex("000000000001000000000000"
                        "40"
                        "61616161616161616161616161616161616161616161616161616161616161616161616161"
                        "616161616161616161616161616161616161616161616161616100"
                        "00010001"),
              OE_EFORMAT);
    CHECK_INT(parse_hex("000000000001000000000000"
                        "800000010001"),
              OE_EFORMAT);
}

TEST(dns_reject_name_over_255)
{
    /* 128 labels of one octet = 256 octets with the root: one too many. */
    char hex[24 + 128 * 4 + 2 + 8 + 1] = "000000000001000000000000";
    for (int i = 0; i < 128; i++)
        strcat(hex, "0161");
    strcat(hex, "0000010001");
    CHECK_INT(parse_hex(hex), OE_EFORMAT);
    /* 127 labels (255 octets) are fine. */
    strcpy(hex, "000000000001000000000000");
    for (int i = 0; i < 127; i++)
        strcat(hex, "0161");
    strcat(hex, "0000010001");
    CHECK_INT(parse_hex(hex), 0);
}

TEST(dns_reject_name_over_255_through_pointers)
{
    /* Name 1 (question) is 250 octets; name 2 adds a 9-octet label then points to it: 259. */
    char hex[2048] = "000000000001000100000000";
    for (int i = 0; i < 83; i++)
        strcat(hex, "026161");
    strcat(hex, "00"
                "00010001");
    strcat(hex, "08"
                "6262626262626262"
                "c00c"
                "000100010000000000047f000001");
    CHECK_INT(parse_hex(hex), OE_EFORMAT);
}

TEST(dns_reject_counts_larger_than_content)
{
    /* ANCOUNT 1 but nothing after the question. */
    CHECK_INT(parse_hex("000080000001000100000000"
                        "01610000010001"),
              OE_ETRUNC);
}

TEST(dns_reject_truncated_rr)
{
    /* RDLENGTH 4 with 3 octets. */
    CHECK_INT(parse_hex("000080000000000100000000"
                        "00000100010000012c00047f0000"),
              OE_ETRUNC);
    /* Cut inside the fixed fields. */
    CHECK_INT(parse_hex("000080000000000100000000"
                        "000001000100"),
              OE_ETRUNC);
    /* Header only partly there. */
    CHECK_INT(parse_hex("0000800000"), OE_ETRUNC);
    /* Label running past the end. */
    CHECK_INT(parse_hex("000000000001000000000000"
                        "05616263"),
              OE_ETRUNC);
}

TEST(dns_reject_trailing_bytes)
{
    CHECK_INT(parse_hex(DIG_QUERY "00"), OE_ETRAILING);
}

TEST(dns_reject_opt_outside_additional)
{
    CHECK_INT(parse_hex("000080000000000100000000"
                        "00002904d0000000000000"),
              OE_EFORMAT);
}

TEST(dns_reject_two_opts)
{
    CHECK_INT(parse_hex("000000000000000000000002"
                        "00002904d0000000000000"
                        "00002904d0000000000000"),
              OE_EFORMAT);
}

TEST(dns_reject_opt_with_owner)
{
    CHECK_INT(parse_hex("000000000000000000000001"
                        "016100002904d0000000000000"),
              OE_EFORMAT);
}

TEST(dns_reject_truncated_opt_option)
{
    CHECK_INT(parse_hex("000000000000000000000001"
                        "00002904d0000000000006000a0008010203"),
              OE_ETRUNC);
}

TEST(dns_reject_tsig_not_last)
{
    CHECK_INT(parse_hex("000000000000000000000002"
                        "0000fa00ff000000000000"
                        "00002904d0000000000000"),
              OE_EFORMAT);
}

TEST(dns_reject_bad_rdata_lengths)
{
    /* A with 5 octets. */
    CHECK_INT(parse_hex("000080000000000100000000"
                        "00000100010000012c00057f00000100"),
              OE_EFORMAT);
    /* CNAME whose name runs past RDLENGTH. */
    CHECK_INT(parse_hex("000080000000000100000000"
                        "00000500010000012c000203616263"
                        "00"),
              OE_ETRUNC);
    /* CNAME with bytes after the name. */
    CHECK_INT(parse_hex("000080000000000100000000"
                        "00000500010000012c0002000000"),
              OE_ETRAILING);
}

/* ---- names --------------------------------------------------------------------------------- */

TEST(dns_name_text_roundtrip_and_escapes)
{
    uint8_t w[OE_DNS_NAME_MAX];
    int n = oe_dns_name_from_text("a\\.b.C\\032d.\\\\x", 15, w);
    CHECK_INT(n, 12);
    CHECK_MEM(w, (size_t)n,
              "\x03"
              "a.b"
              "\x03"
              "C d"
              "\x02"
              "\\x"
              "\x00",
              12);
    CHECK_STR(name_text(oe_dns_name_wire(w, (size_t)n)), "a\\.b.C\\032d.\\\\x.");
    CHECK_INT(oe_dns_name_from_text(".", 1, w), 1);
    CHECK_STR(name_text(oe_dns_name_wire(w, 1)), ".");
    CHECK_INT(oe_dns_name_from_text("a..b", 4, w), OE_EFORMAT);
    CHECK_INT(oe_dns_name_from_text(".a", 2, w), OE_EFORMAT);
    CHECK_INT(oe_dns_name_from_text("a\\25", 4, w), OE_EFORMAT);
    CHECK_INT(oe_dns_name_from_text("a\\256", 5, w), OE_EFORMAT);
    char l64[70];
    memset(l64, 'x', 64);
    CHECK_INT(oe_dns_name_from_text(l64, 64, w), OE_EFORMAT);
    CHECK_INT(oe_dns_name_from_text(l64, 63, w), 65);
}

TEST(dns_name_eq_is_case_insensitive_across_compression)
{
    oe_dns_msg_t m;
    oe_dns_rr_t q;
    uint8_t w[OE_DNS_NAME_MAX];
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_WWW_A)), 0);
    CHECK_INT(oe_dns_msg_question(&m, &q), 0);
    int n = oe_dns_name_from_text("WWW.Odoh.TEST.", 14, w);
    CHECK(oe_dns_name_eq(q.name, oe_dns_name_wire(w, (size_t)n)));
    n = oe_dns_name_from_text("www.odoh.tes", 12, w);
    CHECK(!oe_dns_name_eq(q.name, oe_dns_name_wire(w, (size_t)n)));
    n = oe_dns_name_from_text("odoh.TEST", 9, w);
    CHECK(oe_dns_name_is_under(q.name, oe_dns_name_wire(w, (size_t)n)));
    n = oe_dns_name_from_text("doh.test", 8, w);
    CHECK(!oe_dns_name_is_under(q.name, oe_dns_name_wire(w, (size_t)n)));
    /* A compressed answer name equals the question it points to. */
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    oe_dns_iter_init(&it, &m, OE_DNS_SEC_ANSWER);
    CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
    CHECK(oe_dns_name_eq(rr.name, q.name));
    CHECK_INT(oe_dns_name_unpack(rr.name, w), 15);
    CHECK_MEM(w, 15, "\3www\4odoh\4test\0", 15);
}

/* ---- writer -------------------------------------------------------------------------------- */

static oe_dns_name_t text_name(const char *s, uint8_t w[OE_DNS_NAME_MAX])
{
    int n = oe_dns_name_from_text(s, strlen(s), w);
    CHECK(n > 0);
    return oe_dns_name_wire(w, (size_t)n);
}

TEST(dns_build_query_matches_dig)
{
    uint8_t w[OE_DNS_NAME_MAX], buf[512];
    size_t len, wl;
    uint8_t *want = oe_test_unhex(DIG_QUERY, &wl);
    oe_dns_query_opts_t o = {.flags = OE_DNS_F_RD, .udp_size = 1232};
    CHECK_INT(oe_dns_build_query(buf, sizeof(buf), &len, 0xbb0d, text_name("demo.odoh.test", w),
                                 OE_DNS_T_A, &o),
              0);
    CHECK_MEM(buf, len, want, wl);
}

TEST(dns_build_query_with_padding_matches_kdig)
{
    uint8_t w[OE_DNS_NAME_MAX], buf[512];
    size_t len, wl;
    uint8_t *want = oe_test_unhex(KDIG_PADDED_QUERY, &wl);
    CHECK_INT(wl, 128);
    oe_dns_query_opts_t o = {
        .flags = OE_DNS_F_RD | OE_DNS_F_AD, .udp_size = 4096, .pad_block = 128};
    CHECK_INT(oe_dns_build_query(buf, sizeof(buf), &len, 0x2517, text_name("demo.odoh.test.", w),
                                 OE_DNS_T_AAAA, &o),
              0);
    CHECK_MEM(buf, len, want, wl);
}

TEST(dns_build_query_without_edns_matches_dig)
{
    uint8_t w[OE_DNS_NAME_MAX], buf[512];
    size_t len, wl;
    uint8_t *want = oe_test_unhex(DIG_NOEDNS_QUERY, &wl);
    oe_dns_query_opts_t o = {.flags = OE_DNS_F_RD | OE_DNS_F_AD};
    CHECK_INT(oe_dns_build_query(buf, sizeof(buf), &len, 0x997d, text_name("Example.COM", w),
                                 OE_DNS_T_MX, &o),
              0);
    CHECK_MEM(buf, len, want, wl);
}

TEST(dns_build_query_espace_at_every_size)
{
    uint8_t w[OE_DNS_NAME_MAX], buf[128];
    size_t len;
    oe_dns_query_opts_t o = {.flags = OE_DNS_F_RD, .udp_size = 1232};
    for (size_t cap = 0; cap < 43; cap++)
        CHECK_INT(oe_dns_build_query(buf, cap, &len, 1, text_name("demo.odoh.test", w), 1, &o),
                  OE_ESPACE);
    CHECK_INT(oe_dns_build_query(buf, 43, &len, 1, text_name("demo.odoh.test", w), 1, &o), 0);
    CHECK_INT(len, 43);
}

TEST(dns_response_rebuilt_like_knot)
{
    /* Rebuild knotd's CNAME answer from the parsed query and records: identical bytes, including
     * knotd's compression choices (owner names compressed, CNAME target uncompressed here, so
     * the expected bytes differ only there: compare by re-parsing and printing instead). */
    oe_dns_msg_t q, a, back;
    uint8_t buf[512];
    size_t len;
    oe_dns_writer_t w;
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    oe_buf_t want = {0}, got = {0};
    CHECK_INT(oe_dns_msg_parse(&a, unhex(KNOT_WWW_A)), 0);
    CHECK_INT(oe_dns_msg_parse(&q, unhex("12340100000100000000000103777777046f646f6804746573740000"
                                         "01000100002904d0000000000000")),
              0);
    oe_dns_writer_init_response(&w, buf, sizeof(buf), &q, OE_DNS_F_AA, OE_DNS_R_NOERROR);
    w.compress = true;
    oe_dns_iter_init(&it, &a, OE_DNS_SEC_ANSWER);
    while (oe_dns_iter_next(&it, &rr) == 1)
        CHECK_INT(oe_dns_write_rr_copy(&w, OE_DNS_SEC_ANSWER, &rr), 0);
    CHECK_INT(oe_dns_write_opt(&w, 1232, 0, OE_SLICE(NULL, 0), 0), 0);
    CHECK_INT(oe_dns_writer_finish(&w, &len), 0);
    CHECK_INT(oe_dns_msg_parse(&back, OE_SLICE(buf, len)), 0);
    CHECK_INT(back.hdr.flags, a.hdr.flags & ~OE_DNS_F_RA);
    CHECK_INT(back.hdr.id, 0x1234);
    for (int pass = 0; pass < 2; pass++) {
        oe_dns_iter_init(&it, pass ? &back : &a, OE_DNS_SEC_ALL);
        while (oe_dns_iter_next(&it, &rr) == 1) {
            oe_dns_rr_print(pass ? &got : &want, &rr);
            oe_buf_append(pass ? &got : &want, "\n", 1);
        }
    }
    CHECK_MEM(got.base, got.len, want.base, want.len);
    /* Owner names were compressed: the answer's owner is a pointer to the question (0xc00c). */
    CHECK_MEM(buf + 31, 2, "\xc0\x0c", 2);
}

TEST(dns_writer_extended_rcode_goes_to_opt)
{
    uint8_t buf[64];
    size_t len;
    oe_dns_writer_t w;
    oe_dns_msg_t m;
    oe_dns_writer_init(&w, buf, sizeof(buf), 7, OE_DNS_F_QR);
    oe_dns_writer_set_rcode(&w, OE_DNS_R_BADVERS);
    CHECK_INT(oe_dns_write_opt(&w, 1232, 0, OE_SLICE(NULL, 0), 0), 0);
    CHECK_INT(oe_dns_writer_finish(&w, &len), 0);
    CHECK_INT(oe_dns_msg_parse(&m, OE_SLICE(buf, len)), 0);
    CHECK_INT(m.rcode, 16);
    CHECK_INT(m.hdr.flags & 0xf, 0);
}

TEST(dns_writer_rejects_sections_out_of_order)
{
    uint8_t buf[128], w1[OE_DNS_NAME_MAX];
    oe_dns_writer_t w;
    size_t len;
    oe_dns_writer_init(&w, buf, sizeof(buf), 7, 0);
    CHECK_INT(oe_dns_write_rr(&w, OE_DNS_SEC_AUTHORITY, text_name("a.", w1), 1, 1, 0,
                              OE_SLICE("\1\2\3\4", 4)),
              0);
    CHECK_INT(oe_dns_write_rr(&w, OE_DNS_SEC_ANSWER, text_name("a.", w1), 1, 1, 0,
                              OE_SLICE("\1\2\3\4", 4)),
              OE_EINVAL);
    CHECK_INT(oe_dns_writer_finish(&w, &len), OE_EINVAL);
}
