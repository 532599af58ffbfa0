/* Request paths to relative file paths: decoding, normalisation, traversal refusals; MIME. */
#include <stdio.h>
#include <string.h>

#include "unit/test.h"
#include "website/website_path.h"

static char out[OE_WEBSITE_PATH_MAX + 1];
static bool dir;

static int resolve(const char *path)
{
    memset(out, 'X', sizeof(out));
    dir = false;
    return oe_website_resolve(OE_SLICE_STR(path), out, sizeof(out), &dir);
}

#define RESOLVES(path, want, want_dir)                                                             \
    do {                                                                                           \
        CHECK_INT(resolve(path), 0);                                                               \
        CHECK_STR(out, want);                                                                      \
        CHECK_INT(dir, want_dir);                                                                  \
    } while (0)

TEST(website_resolve_plain_paths)
{
    RESOLVES("/", "", true);
    RESOLVES("/index.html", "index.html", false);
    RESOLVES("/a/b/c.txt", "a/b/c.txt", false);
    RESOLVES("/a/b/", "a/b", true);
    RESOLVES("/%41%62%63", "Abc", false);
    RESOLVES("/%C3%A9t%C3%A9.txt", "\xc3\xa9t\xc3\xa9.txt", false);
    RESOLVES("/a%20b+c", "a b+c", false);
    RESOLVES("/.well-known/acme-challenge/x", ".well-known/acme-challenge/x", false);
}

TEST(website_resolve_normalises_dot_segments)
{
    RESOLVES("//", "", true);
    RESOLVES("/a//b", "a/b", false);
    RESOLVES("/a/./b", "a/b", false);
    RESOLVES("/a/b/../c", "a/c", false);
    RESOLVES("/a/b/..", "a", true);
    RESOLVES("/a/b/.", "a/b", true);
    RESOLVES("/a/..", "", true);
    RESOLVES("/a/%2e%2E/b", "b", false);
    RESOLVES("/a/%2e/b", "a/b", false);
    RESOLVES("/%2e", "", true);
    RESOLVES("/a/b/c/../../d/", "a/d", true);
}

TEST(website_resolve_refuses_traversal)
{
    CHECK_INT(resolve("/.."), -ENOENT);
    CHECK_INT(resolve("/../etc/passwd"), -ENOENT);
    CHECK_INT(resolve("/%2e%2e/"), -ENOENT);
    CHECK_INT(resolve("/%2E%2E/etc/passwd"), -ENOENT);
    CHECK_INT(resolve("/a/%2E%2E/%2e%2e/x"), -ENOENT);
    CHECK_INT(resolve("/a/../../x"), -ENOENT);
    CHECK_INT(resolve("/a/b/../../../etc/passwd"), -ENOENT);
    CHECK_INT(resolve("//../x"), -ENOENT);
    /* An encoded slash is never a separator; a segment holding one names no file. */
    CHECK_INT(resolve("/..%2f.."), -ENOENT);
    CHECK_INT(resolve("/..%2F..%2Fetc%2Fpasswd"), -ENOENT);
    CHECK_INT(resolve("/a%2fb"), -ENOENT);
    /* Backslashes, literal or encoded, never name a file either. */
    CHECK_INT(resolve("/..\\..\\etc\\passwd"), -ENOENT);
    CHECK_INT(resolve("/%5c..%5c..%5cetc"), -ENOENT);
    CHECK_INT(resolve("/a\\b"), -ENOENT);
}

TEST(website_resolve_refuses_hidden_segments)
{
    CHECK_INT(resolve("/.git/config"), -ENOENT);
    CHECK_INT(resolve("/a/.htaccess"), -ENOENT);
    CHECK_INT(resolve("/%2egit/HEAD"), -ENOENT);
    CHECK_INT(resolve("/..."), -ENOENT);
    /* Even when a later ".." would pop it. */
    CHECK_INT(resolve("/.git/../index.html"), -ENOENT);
}

TEST(website_resolve_bad_requests)
{
    CHECK_INT(resolve("/a%00b"), OE_EFORMAT);
    CHECK_INT(resolve("/%00"), OE_EFORMAT);
    CHECK_INT(resolve("/index.html%00.txt"), OE_EFORMAT);
    CHECK_INT(resolve("/%"), OE_EFORMAT);
    CHECK_INT(resolve("/%4"), OE_EFORMAT);
    CHECK_INT(resolve("/%zz"), OE_EFORMAT);
    CHECK_INT(resolve("/%g0"), OE_EFORMAT);
    CHECK_INT(resolve("/a%2"), OE_EFORMAT);
    CHECK_INT(resolve("index.html"), OE_EFORMAT);
    CHECK_INT(resolve(""), OE_EFORMAT);
    /* A malformed escape is a 400 even after a segment that alone would be a 404. */
    CHECK_INT(resolve("/../x%zz"), OE_EFORMAT);
    CHECK_INT(resolve("/.git/%00"), OE_EFORMAT);
    /* A raw NUL byte in the slice as well. */
    CHECK_INT(oe_website_resolve(OE_SLICE("/a\0b", 4), out, sizeof(out), &dir), OE_EFORMAT);
}

TEST(website_resolve_length_limits)
{
    static char path[OE_WEBSITE_PATH_MAX + 64];
    path[0] = '/';
    memset(path + 1, 'a', OE_WEBSITE_PATH_MAX);
    path[OE_WEBSITE_PATH_MAX + 1] = '\0';
    CHECK_INT(resolve(path), 0);
    CHECK_INT(strlen(out), OE_WEBSITE_PATH_MAX);
    path[OE_WEBSITE_PATH_MAX + 1] = 'a';
    path[OE_WEBSITE_PATH_MAX + 2] = '\0';
    CHECK_INT(resolve(path), -ENOENT);

    char small[8];
    CHECK_INT(oe_website_resolve(OE_SLICE_STR("/abcdefgh"), small, sizeof(small), &dir), -ENOENT);
    CHECK_INT(oe_website_resolve(OE_SLICE_STR("/abc/defg"), small, sizeof(small), &dir), -ENOENT);
    CHECK_INT(oe_website_resolve(OE_SLICE_STR("/abcdefg/"), small, sizeof(small), &dir), 0);
    CHECK_INT(oe_website_resolve(OE_SLICE_STR("/abc/def"), small, sizeof(small), &dir), 0);
    CHECK_STR(small, "abc/def");
    /* A long segment that ".." removes again still fits in the end. */
    CHECK_INT(oe_website_resolve(OE_SLICE_STR("/ab/../cd"), small, 4, &dir), 0);
    CHECK_STR(small, "cd");
}

TEST(website_path_encode_for_location)
{
    char buf[64];
    CHECK_INT(oe_website_path_encode("a b/\xc3\xa9?#%", buf, sizeof(buf)), 21);
    CHECK_STR(buf, "a%20b/%C3%A9%3F%23%25");
    CHECK_INT(oe_website_path_encode("docs/v1.2_~x", buf, sizeof(buf)), 12);
    CHECK_STR(buf, "docs/v1.2_~x");
    CHECK_INT(oe_website_path_encode("", buf, sizeof(buf)), 0);
    CHECK_STR(buf, "");
    CHECK_INT(oe_website_path_encode("abcd", buf, 4), OE_ESPACE);
    CHECK_INT(oe_website_path_encode("ab ", buf, 5), OE_ESPACE);
    CHECK_INT(oe_website_path_encode("ab ", buf, 6), 5);
}

static const char *mime(const char *name)
{
    return oe_website_mime(OE_SLICE_STR(name));
}

TEST(website_mime_table)
{
    CHECK_STR(mime("index.html"), "text/html; charset=utf-8");
    CHECK_STR(mime("INDEX.HTM"), "text/html; charset=utf-8");
    CHECK_STR(mime("a/b/style.css"), "text/css; charset=utf-8");
    CHECK_STR(mime("app.js"), "text/javascript; charset=utf-8");
    CHECK_STR(mime("mod.mjs"), "text/javascript; charset=utf-8");
    CHECK_STR(mime("data.json"), "application/json");
    CHECK_STR(mime("logo.svg"), "image/svg+xml");
    CHECK_STR(mime("p.png"), "image/png");
    CHECK_STR(mime("p.JPG"), "image/jpeg");
    CHECK_STR(mime("p.jpeg"), "image/jpeg");
    CHECK_STR(mime("p.gif"), "image/gif");
    CHECK_STR(mime("p.webp"), "image/webp");
    CHECK_STR(mime("p.avif"), "image/avif");
    CHECK_STR(mime("favicon.ico"), "image/vnd.microsoft.icon");
    CHECK_STR(mime("robots.txt"), "text/plain; charset=utf-8");
    CHECK_STR(mime("feed.xml"), "application/xml");
    CHECK_STR(mime("m.wasm"), "application/wasm");
    CHECK_STR(mime("f.woff"), "font/woff");
    CHECK_STR(mime("f.woff2"), "font/woff2");
    CHECK_STR(mime("d.pdf"), "application/pdf");
    CHECK_STR(mime("v.mp4"), "video/mp4");
    CHECK_STR(mime("v.webm"), "video/webm");
    CHECK_STR(mime("x.tar.gz"), "application/gzip");
    CHECK_STR(mime("site.webmanifest"), "application/manifest+json");
    /* Unknown, missing or odd extensions. */
    CHECK_STR(mime("Makefile"), "application/octet-stream");
    CHECK_STR(mime("file."), "application/octet-stream");
    CHECK_STR(mime("dir.html/file"), "application/octet-stream");
    CHECK_STR(mime("x.averyveryverylongextension"), "application/octet-stream");
    CHECK_STR(mime("x.exe"), "application/octet-stream");
    CHECK_STR(mime(""), "application/octet-stream");
}
