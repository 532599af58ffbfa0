/* The config parser: syntax, every setter's ranges and units, and exact error messages. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/core.h"
#include "core/module.h"
#include "core/oe.h"
#include "unit/test.h"

typedef struct t_conf {
    const char *name;
    const char *root;
    long long count;
    long long workers;
    uint64_t size;
    uint64_t timeout;
    bool flag;
    int mode;
    oe_sockaddr_t listen;
    oe_strlist_t aliases;
    oe_addrlist_t upstreams;
} t_conf_t;

static const oe_conf_range_t count_range = {1, 100, false};
static const oe_conf_range_t workers_range = {0, 64, true};
static const oe_conf_range_t size_range = {1, 1 << 30, false};
static const oe_conf_range_t timeout_range = {1, 86400000, false};
static const oe_conf_enum_t modes[] = {{"auto", 1}, {"self", 2}, {"off", 3}, {NULL, 0}};

#define F(f) offsetof(t_conf_t, f)
static const oe_directive_t directives[] = {
    {"name", oe_conf_set_string, F(name), NULL, 0, NULL},
    {"root", oe_conf_set_path, F(root), NULL, 0, NULL},
    {"count", oe_conf_set_int, F(count), &count_range, 0, NULL},
    {"workers", oe_conf_set_int, F(workers), &workers_range, 0, NULL},
    {"max-body", oe_conf_set_size, F(size), &size_range, 0, NULL},
    {"timeout", oe_conf_set_duration, F(timeout), &timeout_range, 0, NULL},
    {"flag", oe_conf_set_bool, F(flag), NULL, 0, NULL},
    {"mode", oe_conf_set_enum, F(mode), modes, 0, NULL},
    {"listen", oe_conf_set_addr, F(listen), NULL, 0, NULL},
    {"alias", oe_conf_set_strlist, F(aliases), NULL, OE_CONF_LIST, NULL},
    {"upstream", oe_conf_set_addrlist, F(upstreams), NULL, OE_CONF_LIST, NULL},
    {NULL, NULL, 0, NULL, 0, NULL},
};

static void t_init(void *conf)
{
    t_conf_t *c = conf;
    c->count = 7;
    c->mode = 1;
}

/* Cross-key rule: mode = off forbids aliases. */
static int t_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    t_conf_t *c = conf;
    if (c->mode == 3 && c->aliases.n > 0) {
        oe_conf_error_key(cf, sec, "alias", "aliases need mode auto or self");
        return OE_ECONFIG;
    }
    return 0;
}

static const oe_module_t t_single = {
    .name = "tsingle",
    .section = "global",
    .flags = OE_MODULE_IMPLICIT,
    .conf_size = sizeof(t_conf_t),
    .directives = directives,
    .conf_init = t_init,
};
static const oe_module_t t_named = {
    .name = "website",
    .section = "site",
    .flags = OE_MODULE_NAMED,
    .conf_size = sizeof(t_conf_t),
    .directives = directives,
    .conf_init = t_init,
    .conf_check = t_check,
};
static const oe_module_t *const table[] = {&t_single, &t_named, NULL};

static oe_conf_t *load(const char *text)
{
    return oe_conf_load_buffer_with("t.conf", "/etc/oe", text, strlen(text), table);
}

/* Loads text expecting exactly one error, and checks its full text. */
static void expect_error(const char *text, const char *want)
{
    oe_conf_t *cf = load(text);
    if (oe_conf_nerrors(cf) != 1) {
        for (size_t i = 0; i < oe_conf_nerrors(cf); i++)
            printf("# error: %s\n", oe_conf_error_at_index(cf, i));
        CHECK_INT(oe_conf_nerrors(cf), 1);
    }
    CHECK_STR(oe_conf_error_at_index(cf, 0), want);
    oe_conf_free(cf);
}

static t_conf_t *site(oe_conf_t *cf, size_t i)
{
    oe_conf_section_t *s = oe_conf_section(cf, &t_named, i);
    CHECK(s != NULL);
    return s->conf;
}

TEST(conf_empty_file_gives_defaults)
{
    oe_conf_t *cf = load("");
    CHECK_INT(oe_conf_nerrors(cf), 0);
    t_conf_t *g = oe_conf_get(cf, &t_single);
    CHECK(g != NULL);
    CHECK_INT(g->count, 7);
    CHECK_INT(oe_conf_count(cf, &t_named), 0);
    oe_conf_free(cf);
}

TEST(conf_parses_sections_keys_comments_and_quotes)
{
    oe_conf_t *cf = load("# comment\n"
                         "; another\n"
                         "[global]\n"
                         "  count = 42   # trailing comment\n"
                         "name = \"a \\\"quoted\\\" # value\"\n"
                         "\n"
                         "[site \"one\"]\r\n"
                         "alias = a.test b.test\n"
                         "alias = c.test, d.test\n"
                         "root = www\n"
                         "[site \"two\"]\n"
                         "root = /srv/two\n"
                         "flag = yes\n");
    CHECK_INT(oe_conf_nerrors(cf), 0);
    t_conf_t *g = oe_conf_get(cf, &t_single);
    CHECK_INT(g->count, 42);
    CHECK_STR(g->name, "a \"quoted\" # value");
    CHECK_INT(oe_conf_count(cf, &t_named), 2);
    t_conf_t *one = site(cf, 0), *two = site(cf, 1);
    CHECK_STR(oe_conf_section(cf, &t_named, 0)->name, "one");
    CHECK_INT(oe_conf_section(cf, &t_named, 0)->line, 7);
    CHECK_INT(one->aliases.n, 4);
    CHECK_STR(one->aliases.v[0], "a.test");
    CHECK_STR(one->aliases.v[3], "d.test");
    CHECK_STR(one->root, "/etc/oe/www");
    CHECK_STR(two->root, "/srv/two");
    CHECK(two->flag);
    CHECK(!one->flag);
    oe_conf_free(cf);
}

TEST(conf_unknown_key_suggests)
{
    expect_error("[global]\ncuont = 3\n",
                 "t.conf:2: [global] cuont: unknown key (did you mean \"count\"?)");
    expect_error("[global]\nzzzzzz = 3\n", "t.conf:2: [global] zzzzzz: unknown key");
}

TEST(conf_unknown_section_suggests_section_or_module)
{
    expect_error("[globl]\n", "t.conf:1: [globl]: unknown section (did you mean [global]?)");
    /* a module's name leads to its (first) section: [http] is spelt [listen] */
    expect_error("[htpp \"x\"]\n", "t.conf:1: [htpp]: unknown section (did you mean [listen]?)");
    expect_error("[nothing]\n", "t.conf:1: [nothing]: unknown section");
}

TEST(conf_section_of_module_not_compiled_in)
{
    expect_error("[odoh-proxy]\nallow-target = a\n",
                 "t.conf:1: [odoh-proxy]: module \"odoh_proxy\" is not compiled into this binary "
                 "(rebuild with it in MODULES=)");
}

TEST(conf_keys_of_a_bad_section_are_not_reported_again)
{
    oe_conf_t *cf = load("[nothing]\na = 1\nb = 2\n[global]\ncount = 3\n");
    CHECK_INT(oe_conf_nerrors(cf), 1);
    oe_conf_free(cf);
}

TEST(conf_duplicates)
{
    expect_error("[global]\ncount = 1\ncount = 2\n",
                 "t.conf:3: [global] count: duplicate key (first set at line 2)");
    expect_error("[global]\n[global]\n", "t.conf:2: [global]: duplicate section (first at line 1)");
    expect_error("[site \"a\"]\n[site \"b\"]\n[site \"a\"]\n",
                 "t.conf:3: [site \"a\"]: duplicate section (first at line 1)");
}

TEST(conf_section_header_errors)
{
    expect_error("[site]\n", "t.conf:1: [site]: this section needs a name: [site \"NAME\"]");
    expect_error("[global \"x\"]\n", "t.conf:1: [global]: this section takes no name");
    expect_error("[global\n", "t.conf:1: malformed section header (expected ']')");
    expect_error("[]\n",
                 "t.conf:1: malformed section header (expected [name] or [name \"instance\"])");
    expect_error("[site \"a]\n",
                 "t.conf:1: malformed section header (unterminated or empty instance name)");
    expect_error("[site a]\n", "t.conf:1: malformed section header (instance names are quoted)");
    expect_error("[global] x\n", "t.conf:1: unexpected text after the section header");
}

TEST(conf_line_syntax_errors)
{
    expect_error(
        "count = 1\n",
        "t.conf:1: \"count\" is outside any section (keys go under [global] or another section)");
    expect_error("[global]\njust words\n",
                 "t.conf:2: [global]: expected \"key = value\" or a [section] header");
    expect_error("[global]\ncount =\n", "t.conf:2: [global] count: missing value");
    expect_error("[global]\nname = \"open\n", "t.conf:2: [global] name: unterminated quoted value");
    expect_error("[global]\nname = \"a\\q\"\n",
                 "t.conf:2: [global] name: unknown escape \\q in quoted value");
    expect_error("[global]\nname = \"a\" b\n",
                 "t.conf:2: [global] name: unexpected text after the quoted value");
    const char nul[] = "[global]\nname = a\0b\n";
    oe_conf_t *cf = oe_conf_load_buffer_with("t.conf", NULL, nul, sizeof(nul) - 1, table);
    CHECK_INT(oe_conf_nerrors(cf), 1);
    CHECK_STR(oe_conf_error_at_index(cf, 0), "t.conf:2: [global]: NUL byte in line");
    oe_conf_free(cf);
}

TEST(conf_all_errors_in_one_pass)
{
    oe_conf_t *cf =
        load("[global]\ncount = 0\ncount = x\nflag = maybe\n[site \"a\"]\ntimeout = 5\n");
    CHECK_INT(oe_conf_nerrors(cf), 4);
    CHECK_STR(oe_conf_error_at_index(cf, 0),
              "t.conf:2: [global] count: 0 is out of range (1 to 100)");
    CHECK_STR(oe_conf_error_at_index(cf, 1), "t.conf:3: [global] count: \"x\" is not an integer");
    CHECK_STR(oe_conf_error_at_index(cf, 2),
              "t.conf:4: [global] flag: \"maybe\" is not a boolean (yes/no, on/off, true/false)");
    CHECK_STR(oe_conf_error_at_index(cf, 3), "t.conf:6: [site \"a\"] timeout: \"5\" is not a "
                                             "duration (a number with a unit: ms, s, m, h, d)");
    oe_conf_free(cf);
}

TEST(conf_int_ranges_and_auto)
{
    oe_conf_t *cf = load("[global]\ncount = 100\nworkers = auto\n");
    CHECK_INT(oe_conf_nerrors(cf), 0);
    t_conf_t *g = oe_conf_get(cf, &t_single);
    CHECK_INT(g->count, 100);
    CHECK_INT(g->workers, 0);
    oe_conf_free(cf);
    expect_error("[global]\ncount = 101\n",
                 "t.conf:2: [global] count: 101 is out of range (1 to 100)");
    expect_error("[global]\ncount = auto\n",
                 "t.conf:2: [global] count: \"auto\" is not an integer");
    expect_error("[global]\nworkers = 65\n",
                 "t.conf:2: [global] workers: 65 is out of range (0 to 64)");
    expect_error("[global]\nworkers = 2x\n",
                 "t.conf:2: [global] workers: \"2x\" is not an integer or \"auto\"");
    expect_error("[global]\ncount = 99999999999999999999\n",
                 "t.conf:2: [global] count: \"99999999999999999999\" is not an integer");
}

TEST(conf_size_units)
{
    uint64_t v;
    CHECK_INT(oe_parse_size("0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(oe_parse_size("512", &v), 0);
    CHECK_INT(v, 512);
    CHECK_INT(oe_parse_size("512b", &v), 0);
    CHECK_INT(v, 512);
    CHECK_INT(oe_parse_size("16k", &v), 0);
    CHECK_INT(v, 16384);
    CHECK_INT(oe_parse_size("16KiB", &v), 0);
    CHECK_INT(v, 16384);
    CHECK_INT(oe_parse_size("2M", &v), 0);
    CHECK_INT(v, 2 << 20);
    CHECK_INT(oe_parse_size("1g", &v), 0);
    CHECK_INT(v, 1 << 30);
    CHECK_INT(oe_parse_size("1 M", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_size("1T", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_size("-1", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_size("", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_size("99999999999G", &v), OE_EOVERFLOW);
    expect_error("[global]\nmax-body = 2G\n",
                 "t.conf:2: [global] max-body: 2G is out of range (1 to 1073741824 bytes)");
    expect_error("[global]\nmax-body = lots\n", "t.conf:2: [global] max-body: \"lots\" is not a "
                                                "size (a number with an optional unit: K, M, G)");
}

TEST(conf_duration_units)
{
    uint64_t v;
    CHECK_INT(oe_parse_duration("0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(oe_parse_duration("250ms", &v), 0);
    CHECK_INT(v, 250);
    CHECK_INT(oe_parse_duration("30s", &v), 0);
    CHECK_INT(v, 30000);
    CHECK_INT(oe_parse_duration("5m", &v), 0);
    CHECK_INT(v, 300000);
    CHECK_INT(oe_parse_duration("5min", &v), 0);
    CHECK_INT(v, 300000);
    CHECK_INT(oe_parse_duration("24h", &v), 0);
    CHECK_INT(v, 86400000);
    CHECK_INT(oe_parse_duration("1h30m", &v), 0);
    CHECK_INT(v, 5400000);
    CHECK_INT(oe_parse_duration("2d", &v), 0);
    CHECK_INT(v, 172800000);
    CHECK_INT(oe_parse_duration("30", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_duration("s", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_duration("1w", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_duration("", &v), OE_EFORMAT);
    CHECK_INT(oe_parse_duration("999999999999999999d", &v), OE_EOVERFLOW);
    expect_error("[global]\ntimeout = 2d\n",
                 "t.conf:2: [global] timeout: 2d is out of range (1ms to 86400000ms)");
}

TEST(conf_bool_and_enum)
{
    const char *yes[] = {"yes", "on", "true", "1", "YES"}, *no[] = {"no", "off", "false", "0"};
    for (size_t i = 0; i < 5; i++) {
        char text[64];
        snprintf(text, sizeof(text), "[global]\nflag = %s\n", yes[i]);
        oe_conf_t *cf = load(text);
        CHECK_INT(oe_conf_nerrors(cf), 0);
        CHECK(((t_conf_t *)oe_conf_get(cf, &t_single))->flag);
        oe_conf_free(cf);
    }
    for (size_t i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof(text), "[global]\nflag = yes\n[site \"s\"]\nflag = %s\n", no[i]);
        oe_conf_t *cf = load(text);
        CHECK_INT(oe_conf_nerrors(cf), 0);
        CHECK(!site(cf, 0)->flag);
        oe_conf_free(cf);
    }
    oe_conf_t *cf = load("[global]\nmode = self\n");
    CHECK_INT(((t_conf_t *)oe_conf_get(cf, &t_single))->mode, 2);
    oe_conf_free(cf);
    expect_error("[global]\nmode = Self\n",
                 "t.conf:2: [global] mode: \"Self\" is not one of: auto, self, off");
}

TEST(conf_addresses)
{
    oe_sockaddr_t a;
    CHECK_INT(oe_parse_addr("127.0.0.1:8443", &a), 0);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&a.ss;
    CHECK_INT(in4->sin_family, AF_INET);
    CHECK_INT(ntohs(in4->sin_port), 8443);
    CHECK_INT(ntohl(in4->sin_addr.s_addr), 0x7f000001);
    CHECK_INT(a.len, sizeof(struct sockaddr_in));
    CHECK_INT(oe_parse_addr("[::1]:53", &a), 0);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;
    CHECK_INT(in6->sin6_family, AF_INET6);
    CHECK_INT(ntohs(in6->sin6_port), 53);
    CHECK_INT(in6->sin6_addr.s6_addr[15], 1);
    CHECK_INT(oe_parse_addr("*:443", &a), 0);
    CHECK_INT(ntohl(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr), 0);
    const char *bad[] = {"127.0.0.1",      "127.0.0.1:0",  "127.0.0.1:65536", "::1:53", "[::1]53",
                         "[127.0.0.1]:53", "localhost:53", "1.2.3:4",         "[::1]:", ":53",
                         "1.2.3.4:5x"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++) {
        if (oe_parse_addr(bad[i], &a) != OE_EFORMAT)
            oe_test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    }
    oe_conf_t *cf = load("[global]\nlisten = [::1]:8443\nupstream = 127.0.0.1:53 [::1]:5353\n"
                         "upstream = 127.0.0.2:53\n");
    CHECK_INT(oe_conf_nerrors(cf), 0);
    t_conf_t *g = oe_conf_get(cf, &t_single);
    CHECK_STR(g->listen.text, "[::1]:8443");
    CHECK_INT(g->upstreams.n, 3);
    CHECK_STR(g->upstreams.v[1].text, "[::1]:5353");
    CHECK_STR(g->upstreams.v[2].text, "127.0.0.2:53");
    oe_conf_free(cf);
    expect_error("[global]\nlisten = localhost:80\n",
                 "t.conf:2: [global] listen: \"localhost:80\" is not an address with a port "
                 "(127.0.0.1:8443, [::1]:8443)");
}

TEST(conf_check_hook_reports_the_line_of_the_key)
{
    expect_error("[site \"a\"]\nmode = off\n\nalias = x.test\n",
                 "t.conf:4: [site \"a\"] alias: aliases need mode auto or self");
}

TEST(conf_check_hooks_skipped_after_syntax_errors)
{
    /* the cross-key rule would fire too, but the syntax error is the one that matters */
    oe_conf_t *cf = load("[site \"a\"]\nmode = off\nalias = x.test\ncount = 0\n");
    CHECK_INT(oe_conf_nerrors(cf), 1);
    CHECK_STR(oe_conf_error_at_index(cf, 0),
              "t.conf:4: [site \"a\"] count: 0 is out of range (1 to 100)");
    oe_conf_free(cf);
}

TEST(conf_file_errors)
{
    oe_conf_t *cf = oe_conf_load_file("/nonexistent/odoh-edge.conf");
    CHECK_INT(oe_conf_nerrors(cf), 1);
    CHECK_STR(oe_conf_error_at_index(cf, 0),
              "/nonexistent/odoh-edge.conf: cannot open: No such file or directory");
    oe_conf_free(cf);

    cf = oe_conf_load_file(oe_test_tmpdir());
    CHECK_INT(oe_conf_nerrors(cf), 1);
    char want[512];
    snprintf(want, sizeof(want), "%s: is a directory, not a config file", oe_test_tmpdir());
    CHECK_STR(oe_conf_error_at_index(cf, 0), want);
    oe_conf_free(cf);
}

TEST(conf_file_relative_paths_resolve_against_its_folder)
{
    /* The real module table: [global] state-dir is a path. */
    const char *path = oe_test_write_file("edge.conf", "[global]\nstate-dir = keys\n");
    oe_conf_t *cf = oe_conf_load_file(path);
    CHECK_INT(oe_conf_nerrors(cf), 0);
    char want[512];
    snprintf(want, sizeof(want), "%s/keys", oe_test_tmpdir());
    CHECK_STR(oe_core_conf(cf)->state_dir, want);
    oe_conf_free(cf);
}

TEST(conf_suggest_picks_the_closest)
{
    const char *c[] = {"workers", "state-dir", "log-level", "log-file", "log-format"};
    CHECK_STR(oe_conf_suggest("log-levle", c, 5), "log-level");
    CHECK_STR(oe_conf_suggest("logfile", c, 5), "log-file");
    CHECK(oe_conf_suggest("timeout", c, 5) == NULL);
    CHECK(oe_conf_suggest("", c, 5) == NULL);
}

/* The filesystem checks behind `check` (issue 11 item 9): exact messages, nothing created. */
TEST(conf_filesystem_checks)
{
    char dir[] = "/tmp/oe-unit-fs-XXXXXX", file[64], p[128], want[512];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(file, sizeof(file), "%s/afile", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fclose(f);
    oe_conf_t *cf = load("[site \"a\"]\nname = x\n");
    oe_conf_section_t *sec = oe_conf_section(cf, &t_named, 0);

    CHECK_INT(oe_conf_check_dir(cf, sec, "name", dir), 0);
    snprintf(p, sizeof(p), "%s/none", dir);
    CHECK_INT(oe_conf_check_dir(cf, sec, "name", p), OE_ECONFIG);
    snprintf(want, sizeof(want), "t.conf:2: [site \"a\"] name: %s: No such file or directory", p);
    CHECK_STR(oe_conf_error_at_index(cf, 0), want);
    CHECK_INT(oe_conf_check_dir(cf, sec, "name", file), OE_ECONFIG);
    snprintf(want, sizeof(want), "t.conf:2: [site \"a\"] name: %s: Not a directory", file);
    CHECK_STR(oe_conf_error_at_index(cf, 1), want);

    snprintf(p, sizeof(p), "%s/x.log", dir);
    CHECK_INT(oe_conf_check_file_folder(cf, sec, "name", p), 0);
    snprintf(p, sizeof(p), "%s/none/x.log", dir);
    CHECK_INT(oe_conf_check_file_folder(cf, sec, "name", p), OE_ECONFIG);
    snprintf(want, sizeof(want),
             "t.conf:2: [site \"a\"] name: %s: the folder %s/none: No such file or directory", p,
             dir);
    CHECK_STR(oe_conf_error_at_index(cf, 2), want);
    CHECK_INT(oe_conf_check_file_folder(cf, sec, "name", "/x.log"), 0); /* the folder is "/" */

    snprintf(p, sizeof(p), "%s/new/deeper", dir);
    CHECK_INT(oe_conf_check_writable_dir(cf, sec, "name", p), 0);
    CHECK_INT(oe_conf_check_writable_dir(cf, sec, "name", dir), 0);
    snprintf(p, sizeof(p), "%s/afile/state", dir);
    CHECK_INT(oe_conf_check_writable_dir(cf, sec, "name", p), OE_ECONFIG);
    snprintf(want, sizeof(want),
             "t.conf:2: [site \"a\"] name: %s cannot be created: %s: Not a directory", p, file);
    CHECK_STR(oe_conf_error_at_index(cf, 3), want);
    CHECK_INT(oe_conf_check_writable_dir(cf, sec, "name", file), OE_ECONFIG);
    snprintf(want, sizeof(want),
             "t.conf:2: [site \"a\"] name: %s cannot be written: %s: Not a directory", file, file);
    CHECK_STR(oe_conf_error_at_index(cf, 4), want);
    CHECK_INT(oe_conf_nerrors(cf), 5);
    oe_conf_free(cf);

    snprintf(p, sizeof(p), "%s/new", dir);
    CHECK(access(p, F_OK) != 0); /* nothing was created */
    unlink(file);
    CHECK_INT(rmdir(dir), 0);
}

/* Text of n repeated list lines under [global]: "alias = hN.example" or "upstream = ADDR". */
static char *repeated(const char *key, size_t n, size_t *len)
{
    size_t cap = 64 + n * 48, used = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    used += (size_t)snprintf(text, cap, "[global]\n");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, "alias") == 0)
            used += (size_t)snprintf(text + used, cap - used, "alias = h%zu.example\n", i);
        else
            used += (size_t)snprintf(text + used, cap - used, "upstream = 127.0.%zu.%zu:%zu\n",
                                     i / 250 % 250, i % 250 + 1, 1000 + i % 50000);
    }
    *len = used;
    return text;
}

/* Regression (issue 11 item 8): every repeated key grew its list by one element in the arena,
 * which never frees, so n lines cost O(n^2) bytes (8,000 local-data lines took 959 MB). Lists now
 * double: 50,000 lines of each list kind cost a bounded number of bytes per line, and twice the
 * lines cost about twice the bytes. */
TEST(conf_repeated_keys_grow_linearly)
{
    const char *keys[] = {"alias", "upstream"};
    for (size_t k = 0; k < 2; k++) {
        size_t arena[2], len;
        for (size_t round = 0; round < 2; round++) {
            size_t n = round == 0 ? 25000 : 50000;
            char *text = repeated(keys[k], n, &len);
            oe_conf_t *cf = load(text);
            CHECK_INT(oe_conf_nerrors(cf), 0);
            t_conf_t *c = oe_conf_get(cf, &t_single);
            size_t got = strcmp(keys[k], "alias") == 0 ? c->aliases.n : c->upstreams.n;
            CHECK_INT(got, n);
            if (strcmp(keys[k], "alias") == 0) {
                CHECK_STR(c->aliases.v[0], "h0.example");
                CHECK_STR(c->aliases.v[n - 1], n == 50000 ? "h49999.example" : "h24999.example");
            } else {
                CHECK_STR(c->upstreams.v[n - 1].text,
                          n == 50000 ? "127.0.199.250:50999" : "127.0.99.250:25999");
            }
            arena[round] = oe_conf_arena_bytes(cf);
            /* Per line: the value, the list slot and the section's key record, each at most
             * four times over (the doubling's copies), plus the arena's block slack. */
            size_t elem = strcmp(keys[k], "alias") == 0 ? sizeof(char *) : sizeof(oe_sockaddr_t);
            size_t bound = n * (4 * elem + 4 * 16 + 64) + len + (1u << 20);
            if (arena[round] > bound)
                printf("# %s x %zu: %zu arena bytes, bound %zu\n", keys[k], n, arena[round], bound);
            CHECK(arena[round] <= bound);
            oe_conf_free(cf);
            free(text);
        }
        printf("# %s: 25,000 lines %zu bytes, 50,000 lines %zu bytes\n", keys[k], arena[0],
               arena[1]);
        CHECK(arena[1] <= arena[0] * 5 / 2);
    }
}
