/* The proxy's special-purpose address table; see proxy_addr.h. */
#include <netinet/in.h>
#include <string.h>

#include "odoh_proxy/proxy_addr.h"

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

/* IANA IPv4 Special-Purpose Address Registry (entries nested in a larger one are left out:
 * 0.0.0.0/32 in 0/8, 192.0.0.0/29 and the other 192.0.0.x entries in 192.0.0.0/24,
 * 255.255.255.255/32 in 240/4), and multicast from the IPv4 Multicast Address Space. */
static const oe_proxy_range4_t ranges4[] = {
    {V4(0, 0, 0, 0), 8, "this network (RFC 791)"},
    {V4(10, 0, 0, 0), 8, "private-use (RFC 1918)"},
    {V4(100, 64, 0, 0), 10, "shared address space (RFC 6598)"},
    {V4(127, 0, 0, 0), 8, "loopback (RFC 1122)"},
    {V4(169, 254, 0, 0), 16, "link local (RFC 3927)"},
    {V4(172, 16, 0, 0), 12, "private-use (RFC 1918)"},
    {V4(192, 0, 0, 0), 24, "IETF protocol assignments (RFC 6890)"},
    {V4(192, 0, 2, 0), 24, "documentation, TEST-NET-1 (RFC 5737)"},
    {V4(192, 31, 196, 0), 24, "AS112-v4 (RFC 7535)"},
    {V4(192, 52, 193, 0), 24, "AMT (RFC 7450)"},
    {V4(192, 88, 99, 0), 24, "deprecated 6to4 relay anycast (RFC 7526)"},
    {V4(192, 168, 0, 0), 16, "private-use (RFC 1918)"},
    {V4(192, 175, 48, 0), 24, "direct delegation AS112 service (RFC 7534)"},
    {V4(198, 18, 0, 0), 15, "benchmarking (RFC 2544)"},
    {V4(198, 51, 100, 0), 24, "documentation, TEST-NET-2 (RFC 5737)"},
    {V4(203, 0, 113, 0), 24, "documentation, TEST-NET-3 (RFC 5737)"},
    {V4(224, 0, 0, 0), 4, "multicast (RFC 5771)"},
    {V4(240, 0, 0, 0), 4, "reserved, and limited broadcast (RFC 1112, RFC 919)"},
};

/* The IANA IPv6 Special-Purpose Address Registry's entries inside 2000::/3 (the rest of the
 * registry lies outside global unicast, which is refused as a whole). */
static const oe_proxy_range6_t ranges6[] = {
    {{0x20, 0x01}, 23, "IETF protocol assignments, TEREDO included (RFC 2928, RFC 4380)"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation (RFC 3849)"},
    {{0x26, 0x20, 0x00, 0x4f, 0x80, 0x00}, 48, "direct delegation AS112 service (RFC 7534)"},
    {{0x3f, 0xff}, 20, "documentation (RFC 9637)"},
};

const oe_proxy_range4_t *oe_proxy_ranges4(size_t *n)
{
    *n = sizeof(ranges4) / sizeof(ranges4[0]);
    return ranges4;
}

const oe_proxy_range6_t *oe_proxy_ranges6(size_t *n)
{
    *n = sizeof(ranges6) / sizeof(ranges6[0]);
    return ranges6;
}

bool oe_proxy_special4(uint32_t a)
{
    for (size_t i = 0; i < sizeof(ranges4) / sizeof(ranges4[0]); i++) {
        uint32_t mask = ranges4[i].len == 0 ? 0 : 0xffffffffu << (32 - ranges4[i].len);
        if ((a & mask) == ranges4[i].net)
            return true;
    }
    return false;
}

static bool prefix6(const uint8_t *a, const uint8_t *net, unsigned len)
{
    unsigned bytes = len / 8, bits = len % 8;
    if (memcmp(a, net, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a[bytes] & mask) == (net[bytes] & mask);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

bool oe_proxy_special6(const uint8_t a[16])
{
    static const uint8_t compat[16] = {0};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[16] = {0x00, 0x64, 0xff, 0x9b};
    static const uint8_t six_to_four[16] = {0x20, 0x02};
    /* The embedded IPv4 forms: judged by the IPv4 address they carry. */
    if (prefix6(a, compat, 96) || prefix6(a, mapped, 96) || prefix6(a, nat64, 96))
        return oe_proxy_special4(get32(a + 12));
    if (prefix6(a, six_to_four, 16))
        return oe_proxy_special4(get32(a + 2));
    if ((a[0] & 0xe0) != 0x20) /* outside 2000::/3: not global unicast */
        return true;
    for (size_t i = 0; i < sizeof(ranges6) / sizeof(ranges6[0]); i++)
        if (prefix6(a, ranges6[i].net, ranges6[i].len))
            return true;
    return false;
}

bool oe_proxy_special(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return oe_proxy_special4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return oe_proxy_special6(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return true;
}
