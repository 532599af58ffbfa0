/*
 * The strict test JSON reader (tests/lib/json.c), which the vector tests depend on.
 */
#include <stdlib.h>

#include "lib/json.h"
#include "unit/test.h"

static oe_json_t *parse(const char *s)
{
    return oe_json_parse(s, strlen(s), NULL, 0);
}

TEST(json_parses_values_and_lookups)
{
    char err[64];
    const char *doc =
        " {\"a\": [1, -2, 3.5e2, true, false, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\","
        " \"o\": {}} ";
    oe_json_t *v = oe_json_parse(doc, strlen(doc), err, sizeof(err));
    bool ok;
    CHECK(v != NULL);
    const oe_json_t *a = oe_json_get(v, "a");
    CHECK_INT(a->len, 6);
    CHECK_INT(oe_json_int(oe_json_at(a, 1), &ok), -2);
    CHECK(ok);
    oe_json_int(oe_json_at(a, 2), &ok);
    CHECK(!ok);
    CHECK_STR(oe_json_at(a, 2)->str, "3.5e2");
    CHECK_INT(oe_json_at(a, 3)->type, OE_JSON_TRUE);
    CHECK_INT(oe_json_at(a, 5)->type, OE_JSON_NULL);
    CHECK(oe_json_at(a, 6) == NULL);
    CHECK_STR(oe_json_string(oe_json_get(v, "s")), "x\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK_INT(oe_json_get(v, "o")->len, 0);
    CHECK(oe_json_get(v, "missing") == NULL);
    CHECK(oe_json_string(a) == NULL);
    oe_json_free(v);
}

TEST(json_rejects_what_rfc8259_rejects)
{
    static const char *const bad[] = {
        "",
        "[1,]",
        "{\"a\":1,}",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[+1]",
        "{\"a\" 1}",
        "{a:1}",
        "[1] x",
        "\"\\x\"",
        "\"\t\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\u0000\"",
        "[1 2]",
        "{\"a\":1,\"a\":2}",
        "[tru]",
        "/*c*/1",
        "\"\xff\"",
        "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"",
        "[",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        oe_json_t *v = parse(bad[i]);
        if (v != NULL)
            oe_test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK(oe_json_parse(deep, sizeof(deep), NULL, 0) == NULL);
}

TEST(json_reports_offset_of_error)
{
    char err[64];
    CHECK(oe_json_parse("[1, 2,, 3]", 10, err, sizeof(err)) == NULL);
    CHECK_STR(err, "offset 6: invalid number");
}
