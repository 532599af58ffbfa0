/* core/uri and core/net: query parameters, percent-decoding, ports, host names. */
#include <netinet/in.h>
#include <stdio.h>

#include "core/net.h"
#include "core/uri.h"
#include "unit/test.h"

static void check_param(const char *file, int line, const char *q, const char *name,
                        const char *want)
{
    oe_slice_t v = oe_uri_query_param(OE_SLICE_STR(q), name);
    if (want == NULL ? v.base != NULL : v.base == NULL || !oe_slice_eq(v, OE_SLICE_STR(want)))
        oe_test_fail(file, line, "%s in \"%s\": got \"%.*s\"%s", name, q, (int)v.len,
                     v.base ? (const char *)v.base : "", v.base ? "" : " (absent)");
}
#define CHECK_PARAM(q, name, want) check_param(__FILE__, __LINE__, (q), (name), (want))

TEST(uri_query_param_lookup)
{
    CHECK_PARAM("dns=AAAB", "dns", "AAAB");
    CHECK_PARAM("ct&dns=AAAB&x=1", "dns", "AAAB");
    CHECK_PARAM("xdns=1&dns=2", "dns", "2"); /* a longer name does not match */
    CHECK_PARAM("dnsx=1&dns=", "dns", "");   /* present and empty */
    CHECK_PARAM("dns&other=1", "dns", NULL); /* no '=': no value */
    CHECK_PARAM("a=1&dns=first&dns=second", "dns", "first");
    CHECK_PARAM("", "dns", NULL);
    CHECK_PARAM("DNS=1", "dns", NULL); /* names compare exactly */
    CHECK(oe_uri_query_param(OE_SLICE(NULL, 0), "dns").base == NULL);
}

TEST(uri_pct_decode)
{
    char out[8];
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("%2Fa+b%3a"), true), 5);
    CHECK_STR(out, "/a b:");
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("a+b"), false), 3);
    CHECK_STR(out, "a+b");
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("%2"), true), OE_EFORMAT);
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("%zz"), true), OE_EFORMAT);
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("a%00"), true), OE_EFORMAT);
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("1234567"), true), 7);
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR("12345678"), true), OE_ESPACE);
    CHECK_INT(oe_uri_pct_decode(out, sizeof(out), OE_SLICE_STR(""), true), 0);
    CHECK_STR(out, "");
}

TEST(net_sockaddr_port_both_families)
{
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    struct sockaddr un = {.sa_family = AF_UNIX};
    oe_sockaddr_set_port((struct sockaddr *)&a4, 8443);
    oe_sockaddr_set_port((struct sockaddr *)&a6, 53);
    CHECK_INT(a4.sin_port, htons(8443));
    CHECK_INT(a6.sin6_port, htons(53));
    CHECK_INT(oe_sockaddr_port((struct sockaddr *)&a4), 8443);
    CHECK_INT(oe_sockaddr_port((struct sockaddr *)&a6), 53);
    CHECK_INT(oe_sockaddr_port(&un), 0);
}

TEST(net_sockaddr_from_ip)
{
    struct sockaddr_storage ss;
    CHECK(oe_sockaddr_from_ip("127.0.0.2", 8443, &ss));
    CHECK_INT(ss.ss_family, AF_INET);
    CHECK_INT(oe_sockaddr_port((struct sockaddr *)&ss), 8443);
    CHECK_INT(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000002);
    CHECK(oe_sockaddr_from_ip("::1", 53, &ss));
    CHECK_INT(ss.ss_family, AF_INET6);
    CHECK_INT(oe_sockaddr_port((struct sockaddr *)&ss), 53);
    CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
    memset(&ss, 0xff, sizeof(ss));
    CHECK(!oe_sockaddr_from_ip("localhost", 443, &ss));
    CHECK(!oe_sockaddr_from_ip("[::1]", 443, &ss));
    CHECK(!oe_sockaddr_from_ip("", 443, &ss));
    CHECK_INT(ss.ss_family, 0);
}

TEST(net_resolv_conf_nameserver)
{
    char path[512], text[80];
    snprintf(path, sizeof(path), "%s/resolv.conf", oe_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("# comment\nsearch example.test\nnameserver not-an-ip\n  nameserver 2001:db8::53\n"
          "nameserver 192.0.2.53\n",
          f);
    fclose(f);
    oe_sockaddr_t sa = {0};
    CHECK_INT(oe_resolv_conf_nameserver(path, &sa, text, sizeof(text)), 0);
    CHECK_STR(text, "[2001:db8::53]:53");
    CHECK(sa.text == text);
    CHECK_INT(sa.ss.ss_family, AF_INET6);
    CHECK_INT(oe_sockaddr_port((struct sockaddr *)&sa.ss), 53);
    f = fopen(path, "w");
    fputs("search example.test\n", f);
    fclose(f);
    CHECK_INT(oe_resolv_conf_nameserver(path, &sa, text, sizeof(text)), -1);
    remove(path);
    CHECK_INT(oe_resolv_conf_nameserver(path, &sa, text, sizeof(text)), -1);
}

TEST(net_host_name_rules)
{
    static const char *const good[] = {
        "a",         "example.test",       "odoh-target.example.test",
        "127.0.0.1", "xn--bcher-kva.test", "A.B.C"};
    static const char *const bad[] = {"",       "-a.test",  "a-.test", "a..test", ".a",
                                      "a.",     "a_b.test", "a b",     "a:443",   "::1",
                                      "*.test", "a/b.test", "é.test"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(good); i++)
        if (!oe_host_name_valid(OE_SLICE_STR(good[i]), false))
            oe_test_fail(__FILE__, __LINE__, "\"%s\" refused", good[i]);
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++)
        if (oe_host_name_valid(OE_SLICE_STR(bad[i]), false))
            oe_test_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
    CHECK(oe_host_name_valid(OE_SLICE_STR("*.example.test"), true));
    CHECK(!oe_host_name_valid(OE_SLICE_STR("*"), true));
    CHECK(!oe_host_name_valid(OE_SLICE_STR("*."), true));
    CHECK(!oe_host_name_valid(OE_SLICE_STR("a.*.test"), true));
    char label[70], name[300];
    memset(label, 'a', 63);
    label[63] = '\0';
    CHECK(oe_host_name_valid(OE_SLICE_STR(label), false));
    label[63] = 'a', label[64] = '\0';
    CHECK(!oe_host_name_valid(OE_SLICE_STR(label), false));
    memset(name, 'a', sizeof(name));
    for (size_t i = 50; i < sizeof(name); i += 51)
        name[i] = '.';
    CHECK(oe_host_name_valid(OE_SLICE(name, 253), false));
    CHECK(!oe_host_name_valid(OE_SLICE(name, 254), false));
    char mixed[] = "Target.ODOH.Test";
    oe_ascii_lower(mixed);
    CHECK_STR(mixed, "target.odoh.test");
}
