/* The [keys] section against the real module table: it is implicit (every target rotates), its
 * defaults follow rotate so that any rotate alone works, and a schedule that would keep more keys
 * than the store supports is refused at config time, naming the defaults involved. */
#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "core/module.h"
#include "keys/keys_int.h"
#include "unit/test.h"

extern const oe_module_t oe_keys_module;

#define TARGET                                                                                     \
    "[global]\nstate-dir = state\n[listen \"https\"]\naddress = 127.0.0.1:1\n"                     \
    "[site \"target\"]\nhost = target.odoh.test\ncert = auto\n[odoh-target]\nsite = target\n"

static oe_conf_t *load(const char *text)
{
    oe_conf_t *cf = oe_conf_load_buffer("k.conf", "/tmp", text, strlen(text));
    for (size_t i = 0; i < oe_conf_nerrors(cf); i++)
        printf("# error: %s\n", oe_conf_error_at_index(cf, i));
    return cf;
}

/* Loads TARGET + keys, expects no error and the given schedule (ms). */
static void expect_schedule(const char *keys, uint64_t rotate, uint64_t ahead, uint64_t grace,
                            uint64_t ttl)
{
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", TARGET, keys);
    oe_conf_t *cf = load(text);
    CHECK_INT(oe_conf_nerrors(cf), 0);
    const keys_conf_t *c = oe_conf_get(cf, &oe_keys_module);
    CHECK(c != NULL);
    CHECK_INT(c->rotate, rotate);
    CHECK_INT(c->publish_ahead, ahead);
    CHECK_INT(c->grace, grace);
    CHECK_INT(c->record_ttl, ttl);
    oe_conf_free(cf);
}

static void expect_error(const char *keys, const char *want)
{
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", TARGET, keys);
    oe_conf_t *cf = oe_conf_load_buffer("k.conf", "/tmp", text, strlen(text));
    if (oe_conf_nerrors(cf) != 1)
        for (size_t i = 0; i < oe_conf_nerrors(cf); i++)
            printf("# error: %s\n", oe_conf_error_at_index(cf, i));
    CHECK_INT(oe_conf_nerrors(cf), 1);
    CHECK_STR(oe_conf_error_at_index(cf, 0), want);
    oe_conf_free(cf);
}

#define S 1000ULL
#define M (60 * S)
#define H (60 * M)

/* Regression (issue 11 item 7): without [keys] a target kept one static key forever, and
 * `rotate = 1h` alone failed (publish-ahead defaulted to 1h too). */
TEST(keys_conf_defaults_follow_rotate)
{
    expect_schedule("", 24 * H, 1 * H, 2 * H, 5 * M); /* no [keys]: the documented defaults */
    expect_schedule("[keys]\n", 24 * H, 1 * H, 2 * H, 5 * M);
    expect_schedule("[keys]\nrotate = 1h\n", 1 * H, 30 * M, 2 * H, 5 * M);
    expect_schedule("[keys]\nrotate = 5m\n", 5 * M, 150 * S, 40 * M, 150 * S);
    expect_schedule("[keys]\nrotate = 2s\n", 2 * S, 1 * S, 16 * S, 1 * S);
    expect_schedule("[keys]\nrotate = 5m\ngrace = 2h\n", 5 * M, 150 * S, 2 * H, 150 * S);
    expect_schedule("[keys]\ngrace = 1m\n", 24 * H, 1 * H, 1 * M, 1 * M);
    expect_schedule("[keys]\nrecord-ttl = 3h\n", 24 * H, 1 * H, 3 * H, 3 * H);
    expect_schedule("[keys]\nrotate = 10s\npublish-ahead = 9s\n", 10 * S, 9 * S, 80 * S, 9 * S);
}

/* Without a target the implicit section has nothing to do; a [keys] written there is an error. */
TEST(keys_conf_the_implicit_section_needs_no_target)
{
    oe_conf_t *cf = load("[global]\nstate-dir = state\n");
    CHECK_INT(oe_conf_nerrors(cf), 0);
    CHECK(oe_conf_get(cf, &oe_keys_module) != NULL);
    oe_conf_free(cf);
    const char *text = "[global]\nstate-dir = state\n[keys]\nrotate = 1h\n";
    cf = oe_conf_load_buffer("k.conf", "/tmp", text, strlen(text));
    CHECK_INT(oe_conf_nerrors(cf), 1);
    CHECK_STR(oe_conf_error_at_index(cf, 0),
              "k.conf:3: [keys]: the key lifecycle needs an [odoh-target] section");
    oe_conf_free(cf);
}

/* A conflict with a default names it; values written in the file are never changed. */
TEST(keys_conf_conflicts_name_the_default)
{
    expect_error("[keys]\npublish-ahead = 25h\n",
                 "k.conf:11: [keys] publish-ahead: must be shorter than rotate (86400s, the "
                 "default)");
    expect_error("[keys]\nrotate = 1h\npublish-ahead = 1h\n",
                 "k.conf:12: [keys] publish-ahead: must be shorter than rotate");
    expect_error("[keys]\ngrace = 1m\nrecord-ttl = 5m\n",
                 "k.conf:11: [keys] grace: must outlast the HTTPS record's TTL (record-ttl = "
                 "300s), or resolvers could hand out a key the target no longer accepts");
    expect_error("[keys]\ngrace = 1m\npublish-ahead = 2h\nrotate = 1h\n",
                 "k.conf:12: [keys] publish-ahead: must be shorter than rotate");
}

/* Regression (issue 12 item 7): a schedule that keeps more keys at once than the store holds was
 * accepted and then stopped rotating for good. */
TEST(keys_conf_refuses_schedules_the_store_cannot_hold)
{
    expect_error("[keys]\nrotate = 2s\ngrace = 1h\n",
                 "k.conf:12: [keys] grace: keeps up to 1802 keys at once (one per rotate = 2000ms "
                 "within grace = 3600000ms, plus the current and the next); at most 64 work: "
                 "lengthen rotate or shorten grace");
    expect_error("[keys]\nrotate = 2s\nrecord-ttl = 10m\n",
                 "k.conf:11: [keys] rotate: keeps up to 302 keys at once (one per rotate = 2000ms "
                 "within grace = 600000ms, the default, plus the current and the next); at most "
                 "64 work: lengthen rotate or shorten grace");
    expect_schedule("[keys]\nrotate = 2s\ngrace = 124s\n", 2 * S, 1 * S, 124 * S, 1 * S);
    expect_error("[keys]\nrotate = 2s\ngrace = 125s\n",
                 "k.conf:12: [keys] grace: keeps up to 65 keys at once (one per rotate = 2000ms "
                 "within grace = 125000ms, plus the current and the next); at most 64 work: "
                 "lengthen rotate or shorten grace");
}
