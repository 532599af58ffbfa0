/*
 * The proxy's static request checks, tested by including the unit (h2o's t/00unit habit): query
 * parameters, target host, port and path. This file must be the only one that includes proxy.c;
 * its definitions then stand in for the library's copy at link time.
 */
#include "odoh_proxy/proxy.c"
#include "unit/test.h"

TEST(proxy_param_decodes_and_bounds)
{
    char out[16];
    oe_slice_t q = OE_SLICE_STR("x=1&targethost=Rec.Test%3A8443&targetpath=%2Fdns-query&e=");
    CHECK(param(q, "targethost", out, sizeof(out)));
    CHECK_STR(out, "Rec.Test:8443");
    CHECK(param(q, "targetpath", out, sizeof(out)));
    CHECK_STR(out, "/dns-query");
    CHECK(!param(q, "e", out, sizeof(out)));       /* empty */
    CHECK(!param(q, "missing", out, sizeof(out))); /* absent */
    CHECK(!param(q, "targetpath", out, 10));       /* "/dns-query" needs 11 bytes */
    CHECK(!param(OE_SLICE_STR("targetpath=%2"), "targetpath", out, sizeof(out)));
    CHECK(!param(OE_SLICE_STR("targetpath=a%00b"), "targetpath", out, sizeof(out)));
}

TEST(proxy_port_host_and_path_checks)
{
    CHECK_INT(oe_proxy_parse_port("443"), 443);
    CHECK_INT(oe_proxy_parse_port("65535"), 65535);
    CHECK_INT(oe_proxy_parse_port("65536"), 0);
    CHECK_INT(oe_proxy_parse_port("0"), 0);
    CHECK_INT(oe_proxy_parse_port(""), 0);
    CHECK_INT(oe_proxy_parse_port("443x"), 0);
    CHECK_INT(oe_proxy_parse_port("+1"), 0);
    CHECK_INT(oe_proxy_parse_port("000443"), 0);

    char h1[] = "Rec.Test", h2[] = "::1", h3[] = "a..b", h4[] = "", h5[] = "a_b.test",
         h6[] = "-a.test", h7[] = "rec.test:443";
    CHECK(oe_proxy_valid_host(h1));
    CHECK_STR(h1, "rec.test");      /* lower-cased for the allow list */
    CHECK(oe_proxy_valid_host(h2)); /* the address checks answer 403 for it */
    CHECK(!oe_proxy_valid_host(h3));
    CHECK(!oe_proxy_valid_host(h4));
    CHECK(!oe_proxy_valid_host(h5));
    CHECK(!oe_proxy_valid_host(h6));
    CHECK(!oe_proxy_valid_host(h7)); /* the port is split off before */

    CHECK(oe_proxy_valid_path("/dns-query"));
    CHECK(oe_proxy_valid_path("/dns-query?x=1"));
    CHECK(!oe_proxy_valid_path("dns-query"));
    CHECK(!oe_proxy_valid_path("/a b"));
    CHECK(!oe_proxy_valid_path("/a\r\nX-Injected: 1"));
    CHECK(!oe_proxy_valid_path("/\x7f"));
    CHECK(!oe_proxy_valid_path(""));
}
