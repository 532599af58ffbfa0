/*
 * Where the proxy must not relay through "allow-target = *": every address that is not plain
 * global unicast. Pure (no I/O), so the table can be tested range by range.
 *
 * The table is IANA's special-purpose address registries (IPv4: RFC 6890 and later entries;
 * IPv6: the same), every entry whatever its "globally reachable" column says (none of them is a
 * place for a public ODoH target), plus IPv4 multicast 224.0.0.0/4. For IPv6, only 2000::/3 is
 * global unicast (IANA IPv6 address space): everything outside it is refused (loopback,
 * unspecified, ULA fc00::/7, link-local, the deprecated site-local fec0::/10, multicast,
 * discard 100::/64, local-use NAT64 64:ff9b:1::/48, SRv6 5f00::/16, reserved space), except
 * the forms that embed an IPv4 address, which is then judged by the IPv4 table:
 *   ::ffff:a.b.c.d (IPv4-mapped), ::a.b.c.d (IPv4-compatible, deprecated), 64:ff9b::a.b.c.d
 *   (NAT64 well-known prefix, RFC 6052) and 2002:AABB:CCDD::/48 (6to4, RFC 3056).
 * Inside 2000::/3 the registry's ranges are refused: 2001::/23 (IETF protocol assignments,
 * TEREDO included), 2001:db8::/32 and 3fff::/20 (documentation), 2620:4f:8000::/48 (AS112).
 */
#ifndef OE_PROXY_ADDR_H
#define OE_PROXY_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct oe_proxy_range4 {
    uint32_t net; /* host byte order */
    unsigned len; /* prefix length */
    const char *what;
} oe_proxy_range4_t;

typedef struct oe_proxy_range6 {
    uint8_t net[16];
    unsigned len;
    const char *what;
} oe_proxy_range6_t;

/* The tables, for tests; n is set to the entry count. */
const oe_proxy_range4_t *oe_proxy_ranges4(size_t *n);
const oe_proxy_range6_t *oe_proxy_ranges6(size_t *n);

/* True when a (host byte order) is in a special-purpose IPv4 range. */
bool oe_proxy_special4(uint32_t a);
/* True when the IPv6 address a (network byte order, 16 bytes) must be refused. */
bool oe_proxy_special6(const uint8_t a[16]);
/* The same for a sockaddr (AF_INET or AF_INET6; any other family is refused). */
bool oe_proxy_special(const struct sockaddr *sa);

#endif
