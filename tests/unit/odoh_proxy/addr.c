/* The proxy's special-purpose address table (issue 12 item 11): for every range its first and
 * last address are refused and its neighbours just outside are allowed (unless another range
 * holds them); the embedded-IPv4 forms follow the IPv4 table; and the examples that used to
 * get through "allow-target = *". */
#include <arpa/inet.h>
#include <string.h>

#include "odoh_proxy/proxy_addr.h"
#include "unit/test.h"

/* The test's own oracle: inside some table range, by bit-by-bit comparison. */
static bool in_table4(uint32_t a)
{
    size_t n;
    const oe_proxy_range4_t *r = oe_proxy_ranges4(&n);
    for (size_t i = 0; i < n; i++) {
        unsigned b = 0;
        while (b < r[i].len && ((a >> (31 - b)) & 1) == ((r[i].net >> (31 - b)) & 1))
            b++;
        if (b == r[i].len)
            return true;
    }
    return false;
}

static bool bit6(const uint8_t *a, unsigned b)
{
    return (a[b / 8] >> (7 - b % 8)) & 1;
}

static bool in_table6(const uint8_t *a)
{
    size_t n;
    const oe_proxy_range6_t *r = oe_proxy_ranges6(&n);
    for (size_t i = 0; i < n; i++) {
        unsigned b = 0;
        while (b < r[i].len && bit6(a, b) == bit6(r[i].net, b))
            b++;
        if (b == r[i].len)
            return true;
    }
    return false;
}

static bool v6(const char *text)
{
    uint8_t a[16];
    if (inet_pton(AF_INET6, text, a) != 1)
        return false;
    return oe_proxy_special6(a);
}

static bool v4(const char *text)
{
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1)
        return false;
    return oe_proxy_special4(ntohl(a.s_addr));
}

TEST(proxy_addr_ipv4_table_edges)
{
    size_t n;
    const oe_proxy_range4_t *r = oe_proxy_ranges4(&n);
    CHECK_INT(n, 18);
    for (size_t i = 0; i < n; i++) {
        uint32_t first = r[i].net, last = r[i].net | (0xffffffffu >> r[i].len);
        CHECK(oe_proxy_special4(first));
        CHECK(oe_proxy_special4(last));
        if (first > 0)
            CHECK_INT(oe_proxy_special4(first - 1), in_table4(first - 1));
        if (last < 0xffffffffu)
            CHECK_INT(oe_proxy_special4(last + 1), in_table4(last + 1));
        /* The same through the embedded forms. */
        uint8_t a[16] = {0};
        a[10] = a[11] = 0xff; /* ::ffff:a.b.c.d */
        for (int k = 0; k < 4; k++)
            a[12 + k] = (uint8_t)(last >> (24 - 8 * k));
        CHECK(oe_proxy_special6(a));
        uint8_t s[16] = {0x20, 0x02}; /* 6to4 */
        for (int k = 0; k < 4; k++)
            s[2 + k] = (uint8_t)(first >> (24 - 8 * k));
        CHECK(oe_proxy_special6(s));
    }
    /* The neighbours that matter, by hand. */
    CHECK(!v4("1.0.0.0"));
    CHECK(!v4("9.255.255.255"));
    CHECK(!v4("11.0.0.0"));
    CHECK(!v4("100.63.255.255"));
    CHECK(!v4("100.128.0.0"));
    CHECK(!v4("126.255.255.255"));
    CHECK(!v4("128.0.0.0"));
    CHECK(!v4("172.15.255.255"));
    CHECK(!v4("172.32.0.0"));
    CHECK(!v4("191.255.255.255"));
    CHECK(!v4("192.0.1.0"));
    CHECK(!v4("192.0.3.0"));
    CHECK(!v4("198.17.255.255"));
    CHECK(!v4("198.20.0.0"));
    CHECK(!v4("203.0.112.255"));
    CHECK(!v4("223.255.255.255"));
    CHECK(v4("192.0.0.1"));
    CHECK(v4("192.0.0.255"));
    CHECK(v4("192.0.2.1"));
    CHECK(v4("198.51.100.1"));
    CHECK(v4("203.0.113.255"));
    CHECK(v4("255.255.255.255"));
    CHECK(!v4("8.8.8.8"));
    CHECK(!v4("1.1.1.1"));
}

TEST(proxy_addr_ipv6_table_edges)
{
    size_t n;
    const oe_proxy_range6_t *r = oe_proxy_ranges6(&n);
    CHECK_INT(n, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t first[16], last[16], before[16], after[16];
        memcpy(first, r[i].net, 16);
        memcpy(last, r[i].net, 16);
        for (unsigned b = r[i].len; b < 128; b++)
            last[b / 8] |= (uint8_t)(0x80 >> (b % 8));
        CHECK(oe_proxy_special6(first));
        CHECK(oe_proxy_special6(last));
        memcpy(before, first, 16);
        for (int k = 15; k >= 0 && before[k]-- == 0; k--)
            ;
        memcpy(after, last, 16);
        for (int k = 15; k >= 0 && ++after[k] == 0; k--)
            ;
        CHECK_INT(oe_proxy_special6(before), in_table6(before));
        CHECK_INT(oe_proxy_special6(after), in_table6(after));
    }
    /* By hand: each neighbour is public global unicast. */
    CHECK(!v6("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!v6("2001:200::"));
    CHECK(!v6("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!v6("2001:db9::"));
    CHECK(!v6("2620:4f:7fff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!v6("2620:4f:8001::"));
    CHECK(!v6("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("3fff::"));
    CHECK(v6("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!v6("3fff:1000::"));
    CHECK(v6("2001::"));
    CHECK(v6("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("2001:db8::1"));
    CHECK(!v6("2606:4700:4700::1111"));
    CHECK(!v6("2a00:1450:4001:82b::200e"));
}

TEST(proxy_addr_ipv6_outside_global_unicast)
{
    /* 2000::/3 is the only global unicast space: its edges. */
    CHECK(!v6("2000::"));
    CHECK(!v6("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("4000::"));
    CHECK(v6("::"));
    CHECK(v6("::1"));
    CHECK(v6("100::"));
    CHECK(v6("100::ffff:ffff:ffff:ffff"));
    CHECK(v6("100:0:0:1::1"));
    CHECK(v6("fc00::"));
    CHECK(v6("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("fe80::1"));
    CHECK(v6("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("fec0::"));
    CHECK(v6("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("ff02::1"));
    CHECK(v6("5f00::1"));
    CHECK(v6("64:ff9b:1::"));
    CHECK(v6("64:ff9b:1:ffff:ffff:ffff:ffff:ffff"));
}

TEST(proxy_addr_embedded_ipv4)
{
    /* IPv4-mapped */
    CHECK(v6("::ffff:127.0.0.1"));
    CHECK(v6("::ffff:10.1.2.3"));
    CHECK(v6("::ffff:192.0.2.1"));
    CHECK(!v6("::ffff:8.8.8.8"));
    /* IPv4-compatible (deprecated), as given in the issue */
    CHECK(v6("::7f00:1"));
    CHECK(v6("::127.0.0.1"));
    CHECK(v6("::192.168.1.1"));
    CHECK(!v6("::8.8.8.8"));
    /* NAT64, well-known prefix */
    CHECK(v6("64:ff9b::7f00:1"));
    CHECK(v6("64:ff9b::10.0.0.1"));
    CHECK(v6("64:ff9b::169.254.169.254"));
    CHECK(v6("64:ff9b::198.51.100.7"));
    CHECK(!v6("64:ff9b::8.8.8.8"));
    /* 6to4 */
    CHECK(v6("2002:7f00:1::"));
    CHECK(v6("2002:a00:1::1"));
    CHECK(v6("2002:c000:201::"));
    CHECK(v6("2002:c0a8:101:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!v6("2002:808:808::1"));
    /* just outside the embedded forms: ::1:0:0:0 and ::fffe:... are reserved space */
    CHECK(v6("::1:0:0:0"));
    CHECK(v6("::fffe:808:808"));
    CHECK(v6("64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(v6("64:ff9b:0:0:0:1::"));
    CHECK(!v6("2001:ffff::"));
    CHECK(!v6("2003::"));
}

TEST(proxy_addr_sockaddr)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    CHECK(oe_proxy_special((struct sockaddr *)&a));
    inet_pton(AF_INET, "9.9.9.9", &a.sin_addr);
    CHECK(!oe_proxy_special((struct sockaddr *)&a));
    struct sockaddr_in6 b = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "64:ff9b::7f00:1", &b.sin6_addr);
    CHECK(oe_proxy_special((struct sockaddr *)&b));
    struct sockaddr c = {.sa_family = AF_UNIX};
    CHECK(oe_proxy_special(&c));
}
