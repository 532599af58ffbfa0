/* Opening beneath a document root: symlinks inside are followed, symlinks out are refused, with
 * openat2 and with the realpath fallback. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit/test.h"
#include "website/website_open.h"

static char root[512];

/* tmp/root/{a.txt, sub/b.txt, in -> a.txt, subin -> sub, out -> ../outside/secret,
 * outdir -> ../outside, abs -> /etc/passwd, updown -> sub/../a.txt, loop -> loop, fifo};
 * tmp/outside/secret. */
static int make_tree(void)
{
    const char *tmp = oe_test_tmpdir();
    char p[600];
    snprintf(root, sizeof(root), "%s/root", tmp);
    CHECK(mkdir(root, 0755) == 0);
    snprintf(p, sizeof(p), "%s/sub", root);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof(p), "%s/outside", tmp);
    CHECK(mkdir(p, 0755) == 0);
    oe_test_write_file("root/a.txt", "A");
    oe_test_write_file("root/sub/b.txt", "BB");
    oe_test_write_file("outside/secret", "SECRET");
    static const char *const links[][2] = {
        {"a.txt", "in"},
        {"sub", "subin"},
        {"../outside/secret", "out"},
        {"../outside", "outdir"},
        {"/etc/passwd", "abs"},
        {"sub/../a.txt", "updown"},
        {"loop", "loop"},
        {"/proc/self/root/etc/passwd", "magic"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, links[i][1]);
        CHECK(symlink(links[i][0], p) == 0);
    }
    snprintf(p, sizeof(p), "%s/fifo", root);
    CHECK(mkfifo(p, 0644) == 0);
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    return fd;
}

typedef int (*opener_t)(int root_fd, const char *rel, struct stat *st);

static int with_openat2(int root_fd, const char *rel, struct stat *st)
{
    return oe_website_open(root_fd, root, rel, st);
}

static int with_fallback(int root_fd, const char *rel, struct stat *st)
{
    (void)root_fd;
    return oe_website_open_fallback(root, rel, st);
}

/* Opens rel and returns its first bytes as a string, "DIR" for a directory, or "ERR". */
static const char *content(opener_t op, int root_fd, const char *rel)
{
    static char buf[64];
    struct stat st;
    int fd = op(root_fd, rel, &st);
    if (fd < 0)
        return "ERR";
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return "DIR";
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    CHECK(n >= 0);
    buf[n] = '\0';
    return buf;
}

static void check_tree(opener_t op)
{
    int rfd = make_tree();
    CHECK_STR(content(op, rfd, "a.txt"), "A");
    CHECK_STR(content(op, rfd, "sub/b.txt"), "BB");
    CHECK_STR(content(op, rfd, ""), "DIR");
    CHECK_STR(content(op, rfd, "sub"), "DIR");
    /* Symlinks that stay beneath the root are followed. */
    CHECK_STR(content(op, rfd, "in"), "A");
    CHECK_STR(content(op, rfd, "subin/b.txt"), "BB");
    CHECK_STR(content(op, rfd, "subin"), "DIR");
    CHECK_STR(content(op, rfd, "updown"), "A");
    /* Symlinks that leave it are refused, whatever the way out. */
    CHECK_STR(content(op, rfd, "out"), "ERR");
    CHECK_STR(content(op, rfd, "outdir/secret"), "ERR");
    CHECK_STR(content(op, rfd, "outdir"), "ERR");
    CHECK_STR(content(op, rfd, "abs"), "ERR");
    CHECK_STR(content(op, rfd, "magic"), "ERR");
    CHECK_STR(content(op, rfd, "loop"), "ERR");
    /* Missing things, and a file used as a directory. */
    CHECK_STR(content(op, rfd, "nope"), "ERR");
    CHECK_STR(content(op, rfd, "a.txt/x"), "ERR");
    /* A FIFO is neither a file nor a directory: refused, and without blocking. */
    struct stat st;
    CHECK_INT(op(rfd, "fifo", &st), -ENOENT);
    close(rfd);
}

TEST(website_open_beneath_root_with_openat2)
{
    check_tree(with_openat2);
    /* The error for a way out is EXDEV (openat2 RESOLVE_BENEATH) or ENOSYS-fallback's EXDEV. */
    int rfd = open(root, O_RDONLY | O_DIRECTORY);
    struct stat st;
    CHECK_INT(oe_website_open(rfd, root, "out", &st), -EXDEV);
    CHECK_INT(oe_website_open(rfd, root, "nope", &st), -ENOENT);
    close(rfd);
}

TEST(website_open_beneath_root_with_fallback)
{
    check_tree(with_fallback);
    struct stat st;
    CHECK_INT(oe_website_open_fallback(root, "out", &st), -EXDEV);
    CHECK_INT(oe_website_open_fallback("/nonexistent-root", "a.txt", &st), -ENOENT);
}

TEST(website_open_root_prefix_is_not_enough)
{
    /* root "…/root" must not admit "…/root2/x" (a prefix check without the separator would). */
    int rfd = make_tree();
    const char *tmp = oe_test_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/root2", tmp);
    CHECK(mkdir(p, 0755) == 0);
    oe_test_write_file("root2/x", "X");
    snprintf(p, sizeof(p), "%s/root/sib", tmp);
    CHECK(symlink("../root2/x", p) == 0);
    CHECK_STR(content(with_fallback, rfd, "sib"), "ERR");
    CHECK_STR(content(with_openat2, rfd, "sib"), "ERR");
    close(rfd);
}
