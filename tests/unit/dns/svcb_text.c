/*
 * SVCB/HTTPS RDATA and presentation format. Expected text is what kdig 3.2.6 printed for the same
 * RDATA (served by a python listener or by knotd from a zone file).
 */
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "unit/test.h"

/* 1 . alpn=h2,http/1.1 port=8443 ipv4hint=127.0.0.1 ipv6hint=::1 key7="/dns-query{?dns}"
 * key32769=<46-octet fake ObliviousDoHConfigs with its u16 length prefix> */
#define SVCB_FULL                                                                                  \
    "0001000001000c02683208687474702f312e310003000220fb000400047f00000100060010000000000000000000" \
    "00000000000001000700102f646e732d71756572797b3f646e737d8001002e002c000100280020000100010020"   \
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define SVCB_FULL_KDIG                                                                             \
    "1 . alpn=h2,http/1.1 port=8443 ipv4hint=127.0.0.1 ipv6hint=::1 key7=\"/dns-query{?dns}\" "    \
    "key32769=\"\\000,\\000\\001\\000(\\000 \\000\\001\\000\\001\\000  "                           \
    "!\\\"#$%&'()*+,-./0123456789:;<=>?\""

/* knotd's wire form of "svc.odoh.test. HTTPS 1 . alpn=h2,http/1.1 port=8443 ipv4hint=127.0.0.1
 * key7=\"/dns-query{?dns}\"" from its zone file. */
#define SVCB_KNOT                                                                                  \
    "0001000001000c02683208687474702f312e310003000220fb000400047f000001000700102f646e732d717565"   \
    "72797b3f646e737d"

static oe_slice_t unhex(const char *hex)
{
    size_t n;
    uint8_t *p = oe_test_unhex(hex, &n);
    return OE_SLICE(p, n);
}

static const char *print_svcb(oe_slice_t rdata)
{
    static oe_buf_t out;
    out.len = 0;
    int rc = oe_dns_svcb_print(&out, rdata);
    if (rc < 0)
        return "(error)";
    oe_buf_append(&out, "", 1);
    return (const char *)out.base;
}

TEST(dns_svcb_print_matches_kdig)
{
    CHECK_STR(print_svcb(unhex(SVCB_FULL)), SVCB_FULL_KDIG);
    CHECK_STR(print_svcb(unhex(SVCB_KNOT)),
              "1 . alpn=h2,http/1.1 port=8443 ipv4hint=127.0.0.1 key7=\"/dns-query{?dns}\"");
}

TEST(dns_svcb_parse_and_get)
{
    oe_dns_svcb_t s;
    oe_slice_t v;
    CHECK_INT(oe_dns_svcb_parse(unhex(SVCB_FULL), &s), 0);
    CHECK_INT(s.priority, 1);
    CHECK_INT(oe_dns_svcb_param_get(&s, OE_SVCB_ODOHCONFIG, &v), 1);
    CHECK_INT(v.len, 46);
    CHECK_INT(oe_get16(v.base), 44); /* the value keeps the configs' own length prefix */
    CHECK_INT(oe_dns_svcb_param_get(&s, OE_SVCB_PORT, &v), 1);
    CHECK_INT(oe_get16(v.base), 8443);
    CHECK_INT(oe_dns_svcb_param_get(&s, OE_SVCB_ECH, &v), 0);
}

TEST(dns_svcb_encode_matches_knot)
{
    uint8_t buf[256], root = 0, v4[4] = {127, 0, 0, 1};
    const char *alpn[] = {"h2", "http/1.1"};
    oe_dns_svcb_writer_t b;
    size_t len;
    oe_slice_t want = unhex(SVCB_KNOT);
    oe_dns_svcb_begin(&b, buf, sizeof(buf), 1, oe_dns_name_wire(&root, 1));
    oe_dns_svcb_add_alpn(&b, alpn, 2);
    oe_dns_svcb_add_port(&b, 8443);
    oe_dns_svcb_add_hints(&b, OE_SVCB_IPV4HINT, v4, 1);
    oe_dns_svcb_add(&b, OE_SVCB_DOHPATH, OE_SLICE_STR("/dns-query{?dns}"));
    CHECK_INT(oe_dns_svcb_end(&b, &len), 0);
    CHECK_MEM(buf, len, want.base, want.len);
    /* Out of order is refused, and the error sticks. */
    oe_dns_svcb_begin(&b, buf, sizeof(buf), 1, oe_dns_name_wire(&root, 1));
    oe_dns_svcb_add_port(&b, 443);
    CHECK_INT(oe_dns_svcb_add_alpn(&b, alpn, 1), OE_EINVAL);
    CHECK_INT(oe_dns_svcb_end(&b, &len), OE_EINVAL);
    /* Too small a buffer. */
    oe_dns_svcb_begin(&b, buf, 10, 1, oe_dns_name_wire(&root, 1));
    oe_dns_svcb_add(&b, OE_SVCB_DOHPATH, OE_SLICE_STR("/dns-query{?dns}"));
    CHECK_INT(oe_dns_svcb_end(&b, &len), OE_ESPACE);
}

TEST(dns_svcb_from_text_sorts_and_matches_knot)
{
    uint8_t buf[512];
    char err[128];
    oe_slice_t want = unhex(SVCB_KNOT);
    const char *tok[] = {
        "1", ".", "key7=/dns-query{?dns}", "ipv4hint=127.0.0.1", "port=8443", "alpn=h2,http/1.1"};
    int n = oe_dns_svcb_from_text(tok, 6, buf, sizeof(buf), err, sizeof(err));
    CHECK_INT(n, (int)want.len);
    CHECK_MEM(buf, (size_t)n, want.base, want.len);
}

TEST(dns_svcb_from_text_errors)
{
    uint8_t buf[512];
    char err[128];
    const char *dup[] = {"1", ".", "port=1", "port=2"};
    CHECK_INT(oe_dns_svcb_from_text(dup, 4, buf, sizeof(buf), err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "SvcParamKey \"port\" appears twice");
    const char *badkey[] = {"1", ".", "colour=blue"};
    CHECK_INT(oe_dns_svcb_from_text(badkey, 3, buf, sizeof(buf), err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "unknown SvcParamKey \"colour\"");
    const char *port[] = {"1", ".", "port=65536"};
    CHECK_INT(oe_dns_svcb_from_text(port, 3, buf, sizeof(buf), err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "bad port \"65536\"");
    const char *mand[] = {"1", ".", "mandatory=alpn", "port=1"};
    CHECK_INT(oe_dns_svcb_from_text(mand, 4, buf, sizeof(buf), err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "mandatory names key1, which is missing");
    const char *alias[] = {"0", "x.test.", "port=1"};
    CHECK_INT(oe_dns_svcb_from_text(alias, 3, buf, sizeof(buf), err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "AliasMode (priority 0) takes no SvcParams");
}

TEST(dns_svcb_reject_out_of_order_duplicate_truncated)
{
    oe_dns_svcb_t s;
    /* port (3) before alpn (1) */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "000300020050"
                                      "00010003026832"),
                                &s),
              OE_EFORMAT);
    /* port twice */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "000300020050"
                                      "000300020051"),
                                &s),
              OE_EFORMAT);
    /* value longer than the RDATA */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "0003000400"),
                                &s),
              OE_ETRUNC);
    /* key cut in half */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "000300"),
                                &s),
              OE_ETRUNC);
    /* no target name */
    CHECK_INT(oe_dns_svcb_parse(unhex("0001"), &s), OE_ETRUNC);
    /* compressed target name */
    CHECK_INT(oe_dns_svcb_parse(unhex("0001c000"), &s), OE_EFORMAT);
    /* known keys with a wrong form: port of 3 octets, empty alpn id, ipv4hint of 5, mandatory
     * listing itself */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "00030003000050"),
                                &s),
              OE_EFORMAT);
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "0001000100"),
                                &s),
              OE_EFORMAT);
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "000400050102030405"),
                                &s),
              OE_EFORMAT);
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "000000020000"),
                                &s),
              OE_EFORMAT);
    /* an unknown key stays opaque */
    CHECK_INT(oe_dns_svcb_parse(unhex("000100"
                                      "fde80003616263"),
                                &s),
              0);
    CHECK_STR(print_svcb(unhex("000100"
                               "fde80003616263")),
              "1 . key65000=\"abc\"");
}

/* ---- presentation: parse ------------------------------------------------------------------ */

static oe_dns_rr_text_t rt;

static const char *roundtrip(const char *line)
{
    static oe_buf_t out;
    static char err[256];
    if (oe_dns_rr_from_text(line, &rt, err, sizeof(err)) < 0)
        return err;
    oe_dns_rr_t rr = oe_dns_rr_text_view(&rt);
    out.len = 0;
    oe_dns_rr_print(&out, &rr);
    oe_buf_append(&out, "", 1);
    return (const char *)out.base;
}

TEST(dns_text_local_data_lines)
{
    CHECK_STR(roundtrip("demo.odoh.test. 300 IN A 127.0.0.1"),
              "demo.odoh.test.\t300\tIN\tA\t127.0.0.1");
    CHECK_STR(roundtrip("demo.odoh.test AAAA ::1"), "demo.odoh.test.\t3600\tIN\tAAAA\t::1");
    CHECK_STR(roundtrip("t.test. IN 1h30m TXT \"hello\" world ; comment"),
              "t.test.\t5400\tIN\tTXT\t\"hello\" \"world\"");
    CHECK_STR(roundtrip("t.test. TXT \"a \\\"q\\\" \\\\ \\001\""),
              "t.test.\t3600\tIN\tTXT\t\"a \\\"q\\\" \\\\ \\001\"");
    CHECK_STR(roundtrip("www.test. 60 CNAME demo.test."), "www.test.\t60\tIN\tCNAME\tdemo.test.");
    CHECK_STR(roundtrip("test. NS ns1.test."), "test.\t3600\tIN\tNS\tns1.test.");
    CHECK_STR(roundtrip("test. MX 10 mail.test."), "test.\t3600\tIN\tMX\t10 mail.test.");
    CHECK_STR(roundtrip("test. SOA ns1.test. h.test. 1 3600 600 1w 300"),
              "test.\t3600\tIN\tSOA\tns1.test. h.test. 1 3600 600 604800 300");
    CHECK_STR(roundtrip("_dns.test. SRV 1 2 853 dns.test."),
              "_dns.test.\t3600\tIN\tSRV\t1 2 853 dns.test.");
    CHECK_STR(roundtrip("odoh.test. 300 IN HTTPS 1 . alpn=h2 port=8443 key7=\"/dns-query{?dns}\" "
                        "key32769=\"\\000,\\001\""),
              "odoh.test.\t300\tIN\tHTTPS\t1 . alpn=h2 port=8443 key7=\"/dns-query{?dns}\" "
              "key32769=\"\\000,\\001\"");
    CHECK_STR(roundtrip("x.test. TYPE65000 \\# 3 abcdef"),
              "x.test.\t3600\tIN\tTYPE65000\t\\# 3 ABCDEF");
    CHECK_STR(roundtrip("x.test. A \\# 4 7f00 0001"), "x.test.\t3600\tIN\tA\t127.0.0.1");
}

TEST(dns_text_errors_are_clear)
{
    CHECK_STR(roundtrip("demo.odoh.test. 300 IN A 127.0.0"), "bad IPv4 address \"127.0.0\"");
    CHECK_STR(roundtrip("demo.odoh.test. 300 IN AAAA 1::2::3"), "bad IPv6 address \"1::2::3\"");
    CHECK_STR(roundtrip("demo.odoh.test. 300 IN"), "missing record type");
    CHECK_STR(roundtrip("demo.odoh.test. 300 IN FOO 1"), "unknown record type \"FOO\"");
    CHECK_STR(roundtrip("demo.odoh.test. 300 CH A 1.2.3.4"), "class \"CH\": only IN is supported");
    CHECK_STR(roundtrip("demo..test. A 1.2.3.4"), "bad owner name \"demo..test.\"");
    CHECK_STR(roundtrip("t. TXT \"open"), "unterminated quoted string");
    CHECK_STR(roundtrip("t. A 1.2.3.4 5.6.7.8"), "A needs 1 field after the type, got 2");
    CHECK_STR(roundtrip("t. SOA a. b. 1 2 3 4 ( 5 )"),
              "parentheses (multi-line records) are not supported");
    CHECK_STR(roundtrip("t. TYPE99 \\# 3 abcd"), "hex RDATA has 2 octets, the length says 3");
    CHECK_STR(roundtrip("t. TYPE99 1 2"), "type TYPE99 needs the generic form \\# LEN HEX");
    CHECK_STR(roundtrip("t. CNAME a..b"), "bad domain name \"a..b\"");
    CHECK_STR(roundtrip(""), "empty record");
    CHECK_STR(roundtrip("t. 99999999999 A 1.2.3.4"), "bad TTL \"99999999999\"");
}

TEST(dns_text_generic_line_for_https)
{
    oe_buf_t out = {0};
    CHECK_INT(
        oe_dns_rr_from_text("odoh.test. 300 HTTPS 1 . alpn=h2 key32769=\"\\000\\002\\255\\032\"",
                            &rt, (char[64]){0}, 64),
        0);
    oe_dns_rr_t rr = oe_dns_rr_text_view(&rt);
    oe_dns_rr_print_generic(&out, &rr);
    oe_buf_append(&out, "", 1);
    CHECK_STR((char *)out.base,
              "odoh.test. 300 IN HTTPS \\# 18 00010000010003026832800100040002FF20");
    oe_buf_free(&out);
}

/* ---- presentation: print what knotd sent -------------------------------------------------- */

TEST(dns_print_knot_answers_like_kdig)
{
    static const struct {
        const char *hex, *want;
    } cases[] = {
        /* TXT "hello world" "quote\"back\\slash" "\001bin" */
        {"12348500000100010000000103747874046f646f6804746573740000100001c00c001000010000012c00220b"
         "68656c6c6f20776f726c641071756f7465226261636b5c736c617368040162696e00002904d0000000000000",
         "txt.odoh.test.\t300\tIN\tTXT\t\"hello world\" \"quote\\\"back\\\\slash\" \"\\001bin\""},
        {"123485000001000100000001026d78046f646f68047465737400000f0001c00c000f00010000012c0009000a"
         "046d61696cc00f00002904d0000000000000",
         "mx.odoh.test.\t300\tIN\tMX\t10 mail.odoh.test."},
        {"1234850000010001000000010464656d6f046f646f68047465737400001c0001c00c001c00010000012c0010"
         "0000000000000000000000000000000100002904d0000000000000",
         "demo.odoh.test.\t300\tIN\tAAAA\t::1"},
    };
    for (size_t i = 0; i < OE_ARRAY_SIZE(cases); i++) {
        oe_dns_msg_t m;
        oe_dns_iter_t it;
        oe_dns_rr_t rr;
        oe_buf_t out = {0};
        CHECK_INT(oe_dns_msg_parse(&m, unhex(cases[i].hex)), 0);
        oe_dns_iter_init(&it, &m, OE_DNS_SEC_ANSWER);
        CHECK_INT(oe_dns_iter_next(&it, &rr), 1);
        oe_dns_rr_print(&out, &rr);
        oe_buf_append(&out, "", 1);
        CHECK_STR((char *)out.base, cases[i].want);
        oe_buf_free(&out);
    }
}

TEST(dns_svcb_alpn_escapes_roundtrip)
{
    /* Regression (found by fuzz-dns_svcb): commas and backslashes inside an alpn id need the
     * two-level escaping of RFC 9460 Appendix A.1 both when printing and when parsing. */
    const char *want = "1 . alpn=a\\\\,b,c\\\\\\\\d,\\000";
    CHECK_STR(print_svcb(unhex("000100"
                               "0001000a"
                               "03612c62"
                               "03635c64"
                               "0100")),
              want);
    CHECK_STR(roundtrip("x. HTTPS 1 . alpn=a\\\\,b,c\\\\\\\\d,\\000"),
              "x.\t3600\tIN\tHTTPS\t1 . alpn=a\\\\,b,c\\\\\\\\d,\\000");
    CHECK_INT(rt.rdlen, 3 + 4 + 10);
}
