/* Static logic of req.c, tested by including the unit: the Host/:authority parser that every
 * request goes through (lower-case, port stripped, "host." as "host", IPv6 literals kept
 * bracketed), and the /.well-known/ test that plain-HTTP redirects rely on (after dot-segment
 * removal, as the file handlers see the path). */
#include "http/req.c"
#include "unit/test.h"

/* The parsed authority of v, or "!" when it is refused. */
static const char *authority(const char *v, char *dst, size_t cap)
{
    oe_slice_t out;
    if (!oe_http__parse_authority(OE_SLICE_STR(v), dst, cap, &out))
        return "!";
    CHECK_INT(out.len, strlen(dst));
    CHECK(out.base == (const uint8_t *)dst);
    return dst;
}

TEST(http_parse_authority_normalises_the_host)
{
    char b[256];
    CHECK_STR(authority("Example.COM", b, sizeof(b)), "example.com");
    CHECK_STR(authority("example.com:8443", b, sizeof(b)), "example.com");
    CHECK_STR(authority("example.com:", b, sizeof(b)), "example.com"); /* empty port */
    CHECK_STR(authority("example.com.", b, sizeof(b)), "example.com");
    CHECK_STR(authority("127.0.0.1:80", b, sizeof(b)), "127.0.0.1");
    CHECK_STR(authority("[::1]:443", b, sizeof(b)), "[::1]");
    CHECK_STR(authority("[2001:DB8::1]", b, sizeof(b)), "[2001:db8::1]");
}

TEST(http_parse_authority_refuses_what_is_not_a_host)
{
    char b[256];
    CHECK_STR(authority("", b, sizeof(b)), "!");
    CHECK_STR(authority(":443", b, sizeof(b)), "!");
    CHECK_STR(authority("a b", b, sizeof(b)), "!");
    CHECK_STR(authority("a_b.test", b, sizeof(b)), "!");
    CHECK_STR(authority("host:44x", b, sizeof(b)), "!");
    CHECK_STR(authority("host:443:1", b, sizeof(b)), "!");
    CHECK_STR(authority("[::1", b, sizeof(b)), "!");
    CHECK_STR(authority("user@host", b, sizeof(b)), "!");
    /* The name must fit with its NUL: 4 bytes need a 5-byte buffer. */
    CHECK_STR(authority("abcd", b, 4), "!");
    CHECK_STR(authority("abcd", b, 5), "abcd");
}

static bool wk(const char *path)
{
    return under_well_known(OE_SLICE_STR(path));
}

TEST(http_under_well_known_after_dot_segments)
{
    CHECK(wk("/.well-known/acme-challenge/x"));
    CHECK(wk("/.well-known/a/../b"));
    CHECK(wk("/./.well-known/x"));
    CHECK(wk("/.well-known")); /* the folder itself too */
    CHECK(!wk("/.well-known/../secret"));
    CHECK(!wk("/.well-known/%2e%2e/secret"));
    CHECK(!wk("/.well-known/.%2E/secret"));
    CHECK(!wk("/x/.well-known/y"));
    CHECK(!wk("/.well-knownx/y"));
}
