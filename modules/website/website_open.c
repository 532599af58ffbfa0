/* Opening files beneath a document root; see website_open.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/oe.h"
#include "website/website_open.h"

/* musl's compiler wrapper (Debian's musl-gcc) sees no kernel headers: the openat2(2) ABI is then
 * declared here, as the kernel defines it in include/uapi/linux/openat2.h. */
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
struct open_how {
    unsigned long long flags;
    unsigned long long mode;
    unsigned long long resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_BENEATH       0x08
#endif

/* The number differs per architecture (4437 on 32-bit MIPS); without it, the fallback is used. */
#ifndef SYS_openat2
#define SYS_openat2 -1
#endif

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

static atomic_bool no_openat2;

/* Keeps regular files and directories; O_NONBLOCK only served to not hang on a FIFO. */
static int finish(int fd, struct stat *st)
{
    if (fstat(fd, st) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        close(fd);
        return -ENOENT;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int oe_website_open(int root_fd, const char *root_path, const char *rel, struct stat *st)
{
    if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
        struct open_how how = {
            .flags = OPEN_FLAGS,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        const char *p = rel[0] != '\0' ? rel : ".";
        for (int tries = 0; tries < 4; tries++) {
            long fd = syscall(SYS_openat2, root_fd, p, &how, sizeof(how));
            if (fd >= 0)
                return finish((int)fd, st);
            /* EAGAIN: a rename raced with ".." resolution (openat2(2)); try again. */
            if (errno == EAGAIN || errno == EINTR)
                continue;
            if (errno != ENOSYS)
                return -errno;
            atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
            break;
        }
        if (!atomic_load_explicit(&no_openat2, memory_order_relaxed))
            return -EAGAIN;
    }
    return oe_website_open_fallback(root_path, rel, st);
}

int oe_website_open_fallback(const char *root_path, const char *rel, struct stat *st)
{
    char root[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    if (realpath(root_path, root) == NULL)
        return -errno;
    int n = snprintf(full, sizeof(full), "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof(full))
        return -ENAMETOOLONG;
    if (realpath(full, real) == NULL)
        return -errno;
    size_t rl = strlen(root);
    /* "/" as the root: every absolute path is beneath it. */
    bool inside = strcmp(root, "/") == 0 ||
                  (strncmp(real, root, rl) == 0 && (real[rl] == '\0' || real[rl] == '/'));
    if (!inside)
        return -EXDEV;
    int fd = open(real, OPEN_FLAGS | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    return finish(fd, st);
}
