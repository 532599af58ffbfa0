/* The log sink: a reopen keeps the descriptor number, so a worker writing while the main
 * thread reopens never writes into a descriptor that was closed and reused. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "unit/test.h"

/* The descriptor open on path, or -1. */
static int fd_of(const char *path)
{
    for (int fd = 0; fd < 1024; fd++) {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, path) == 0)
            return fd;
    }
    return -1;
}

static size_t file_size(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n > 0 ? (size_t)n : 0;
}

TEST(log_reopen_keeps_the_fd_number)
{
    char dir[] = "/tmp/oe-unit-log-XXXXXX", a[64], b[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(a, sizeof(a), "%s/a.log", dir);
    snprintf(b, sizeof(b), "%s/b.log", dir);

    CHECK_INT(oe_log_open(a, OE_LOG_INFO, OE_LOG_TEXT), 0);
    int fd = fd_of(a);
    CHECK(fd > 2);
    oe_log_info("test", "to a");
    CHECK(file_size(a) > 0);

    CHECK_INT(oe_log_open(b, OE_LOG_INFO, OE_LOG_TEXT), 0);
    CHECK_INT(fd_of(b), fd); /* the same number, now on b */
    CHECK_INT(fd_of(a), -1); /* and nothing left open on a */
    size_t size_a = file_size(a);
    oe_log_info("test", "to b");
    CHECK(file_size(b) > 0);
    CHECK_INT(file_size(a), size_a);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);

    /* Back to stderr: the number stays ours, pointing at stderr, not closed. */
    CHECK_INT(oe_log_open("stderr", OE_LOG_WARN, OE_LOG_TEXT), 0);
    CHECK_INT(fd_of(b), -1);
    CHECK(fcntl(fd, F_GETFD) >= 0);

    oe_log_close();
    CHECK(fcntl(fd, F_GETFD) < 0);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
