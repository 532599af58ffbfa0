/* Access-log lines: exact format, no forged lines, shared sinks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "unit/test.h"
#include "website/website_log.h"

TEST(website_log_line_format)
{
    char line[512];
    size_t n = oe_website_log_format(line, sizeof(line), 1764244800123, "demo", OE_SLICE_STR("GET"),
                                     OE_SLICE_STR("/index.html"), 200, 1234, 214);
    CHECK_STR(line, "2025-11-27T12:00:00.123Z demo GET /index.html 200 1234 0.214ms\n");
    CHECK_INT(n, strlen(line));
    n = oe_website_log_format(line, sizeof(line), 0, "s", OE_SLICE_STR("HEAD"), OE_SLICE_STR(""),
                              404, 0, 1500000);
    CHECK_STR(line, "1970-01-01T00:00:00.000Z s HEAD - 404 0 1500.000ms\n");
}

TEST(website_log_escapes_what_could_forge_lines)
{
    char line[512];
    oe_website_log_format(line, sizeof(line), 0, "s", OE_SLICE_STR("G\nT"),
                          OE_SLICE("/a b\n1970 x \"q\"\\\0\xff", 18), 400, 12, 0);
    CHECK_STR(line, "1970-01-01T00:00:00.000Z s G\\x0aT "
                    "/a\\x20b\\x0a1970\\x20x\\x20\\x22q\\x22\\x5c\\x00\\xff 400 12 0.000ms\n");
}

TEST(website_log_cuts_long_paths_and_small_buffers)
{
    static char path[5000], line[8192];
    path[0] = '/';
    memset(path + 1, 'a', sizeof(path) - 2);
    path[sizeof(path) - 1] = '\0';
    size_t n = oe_website_log_format(line, sizeof(line), 0, "s", OE_SLICE_STR("GET"),
                                     OE_SLICE_STR(path), 200, 1, 0);
    CHECK(strstr(line, "aaa... 200 1 0.000ms\n") != NULL);
    CHECK_INT(n, 25 + 2 + 4 + 1024 + 3 + strlen(" 200 1 0.000ms\n"));
    /* A buffer too small still gets a terminated record. */
    char small[40];
    n = oe_website_log_format(small, sizeof(small), 0, "site", OE_SLICE_STR("GET"),
                              OE_SLICE_STR(path), 200, 1, 0);
    CHECK_INT(n, sizeof(small) - 1);
    CHECK_INT(small[n - 1], '\n');
    CHECK_INT(small[n], '\0');
}

static oe_website_log_t *shared;

static void *writer(void *arg)
{
    char line[128];
    for (int i = 0; i < 500; i++) {
        size_t n = oe_website_log_format(line, sizeof(line), 0, (const char *)arg,
                                         OE_SLICE_STR("GET"), OE_SLICE_STR("/x"), 200, i, 0);
        oe_website_log_write(shared, line, n);
    }
    return NULL;
}

TEST(website_log_shared_sink_whole_lines_from_threads)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/access.log", oe_test_tmpdir());
    shared = oe_website_log_get(path);
    CHECK(shared != NULL);
    CHECK(oe_website_log_get(path) == shared);
    pthread_t t[4];
    static const char *const names[] = {"one", "two", "three", "four"};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, writer, (void *)names[i]) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    size_t len;
    char *text = oe_test_read_file(path, &len);
    int lines = 0;
    for (char *p = text, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        char site[16];
        int bytes;
        CHECK(sscanf(p, "1970-01-01T00:00:00.000Z %15s GET /x 200 %d 0.000ms", site, &bytes) == 2);
        lines++;
    }
    CHECK_INT(lines, 2000);
    CHECK(oe_website_log_get("/nonexistent-dir/access.log") == NULL);
}

TEST(website_log_json_format_and_escapes)
{
    char line[512];
    size_t n =
        oe_website_log_format_json(line, sizeof(line), 1764244800123, "demo", OE_SLICE_STR("GET"),
                                   OE_SLICE_STR("/index.html"), 200, 1234, 214);
    CHECK_STR(line,
              "{\"time\":\"2025-11-27T12:00:00.123Z\",\"site\":\"demo\",\"method\":\"GET\","
              "\"path\":\"/index.html\",\"status\":200,\"bytes\":1234,\"duration_ms\":0.214}\n");
    CHECK_INT(n, strlen(line));
    oe_website_log_format_json(line, sizeof(line), 0, "s", OE_SLICE_STR("G\nT"),
                               OE_SLICE("/a\"}\\\0\xff", 7), 400, 0, 1500000);
    CHECK_STR(line,
              "{\"time\":\"1970-01-01T00:00:00.000Z\",\"site\":\"s\",\"method\":\"G\\u000aT\","
              "\"path\":\"/a\\u0022}\\u005c\\u0000\\u00ff\",\"status\":400,\"bytes\":0,"
              "\"duration_ms\":1500.000}\n");
    /* A small buffer still gets one whole line ending in the closing part. */
    char small[100];
    static char path[600];
    memset(path, 'a', sizeof(path) - 1);
    n = oe_website_log_format_json(small, sizeof(small), 0, "s", OE_SLICE_STR("GET"),
                                   OE_SLICE_STR(path), 200, 1, 0);
    CHECK_INT(n, sizeof(small) - 1);
    CHECK(strstr(small, "\",\"status\":200,\"bytes\":1,\"duration_ms\":0.000}\n") != NULL);
}
