#define _GNU_SOURCE /* setresuid */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/oe.h"
#include "core/sandbox.h"
#include "core/service.h"

#if __has_include(<linux/seccomp.h>)
#include <linux/filter.h>
#include <linux/seccomp.h>
#else
/* The kernel ABI (musl-gcc ships no kernel headers): linux/filter.h and linux/seccomp.h. */
struct sock_filter {
    unsigned short code;
    unsigned char jt, jf;
    unsigned int k;
};
struct sock_fprog {
    unsigned short len;
    struct sock_filter *filter;
};
#define BPF_RET 0x06
#define BPF_K   0x00
#define BPF_STMT(code, k)                                                                          \
    {                                                                                              \
        (unsigned short)(code), 0, 0, k                                                            \
    }
#define SECCOMP_SET_MODE_FILTER   1
#define SECCOMP_FILTER_FLAG_TSYNC 1
#define SECCOMP_RET_ALLOW         0x7fff0000U
#endif

static int notify_fd = -1;

int oe_notify_open(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || *path == '\0' || notify_fd >= 0)
        return 0;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path))
        return -EINVAL;
    memcpy(sun.sun_path, path, n);
    if (path[0] == '@')
        sun.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sun,
                (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    notify_fd = fd;
    return 0;
}

int oe_notify_reloading_text(char *out, size_t cap, uint64_t usec)
{
    int n = snprintf(out, cap, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\n", usec);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

void oe_notify(const char *state)
{
    if (notify_fd < 0)
        return;
    char buf[128];
    size_t len = strlen(state);
    const char *msg = state;
    if (strcmp(state, "RELOADING=1") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
        int n = oe_notify_reloading_text(buf, sizeof(buf), usec);
        if (n < 0)
            return;
        msg = buf;
        len = (size_t)n;
    }
    ssize_t w = send(notify_fd, msg, len, MSG_NOSIGNAL);
    (void)w;
}

int oe_pidfile_write(const char *path)
{
    char tmp[4096], text[32];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (fchmod(fd, 0644) < 0 || write(fd, text, (size_t)len) != len)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int oe_pidfile_read(const char *path, pid_t *out)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || buf[0] < '0' || buf[0] > '9' || strcmp(end, "\n") != 0 ||
        v <= 1 || v > 0x3fffffff)
        return -EINVAL;
    *out = (pid_t)v;
    return 0;
}

/* One database line "name:x:id:..." whose name or (when name is a number) id matches: the id
 * field at index idfield (2) and, for passwd, the group at index 3. */
static int lookup(const char *file, const char *name, unsigned long ids[2])
{
    char *end;
    errno = 0;
    unsigned long num = strtoul(name, &end, 10);
    bool numeric = *name != '\0' && *end == '\0' && errno == 0 && name[0] != '-';
    FILE *f = fopen(file, "re");
    if (f == NULL)
        return numeric ? -ENOENT : -errno;
    char line[1024];
    int rc = -ENOENT;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *field[4] = {NULL};
        char *p = line;
        for (int i = 0; i < 4 && p != NULL; i++) {
            field[i] = p;
            p = strchr(p, ':');
            if (p != NULL)
                *p++ = '\0';
        }
        if (field[2] == NULL)
            continue;
        unsigned long id = strtoul(field[2], &end, 10);
        if (end == field[2] || (*end != '\0' && *end != '\n'))
            continue;
        if (numeric ? id == num : strcmp(field[0], name) == 0) {
            ids[0] = id;
            ids[1] = field[3] != NULL ? strtoul(field[3], NULL, 10) : id;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

int oe_lookup_user(const char *name, const char *passwd, uid_t *uid, gid_t *gid)
{
    unsigned long ids[2];
    int rc = lookup(passwd != NULL ? passwd : "/etc/passwd", name, ids);
    if (rc < 0)
        return rc;
    *uid = (uid_t)ids[0];
    *gid = (gid_t)ids[1];
    return 0;
}

int oe_lookup_group(const char *name, const char *group, gid_t *gid)
{
    unsigned long ids[2];
    int rc = lookup(group != NULL ? group : "/etc/group", name, ids);
    if (rc < 0)
        return rc;
    *gid = (gid_t)ids[0];
    return 0;
}

/* A filter that allows every call, installed with TSYNC: the kernel then sets no_new_privs on
 * every thread of the process (prctl alone sets it on the calling thread only, and the worker
 * threads are running by now). */
static int no_new_privs_all_threads(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {.len = 1, .filter = allow};
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    if (r < 0 && (errno == ENOSYS || errno == EINVAL))
        return 0; /* no seccomp filters here (qemu-user, old kernels): the main thread has it */
    if (r != 0)
        return r < 0 ? -errno : -EPERM; /* > 0: the id of a thread that could not be synced */
    return 0;
}

int oe_drop_privileges(uid_t uid, gid_t gid)
{
    /* glibc applies each of these to every thread of the process. */
    if (setgroups(1, &gid) < 0)
        return -errno;
    if (setresgid(gid, gid, gid) < 0)
        return -errno;
    if (setresuid(uid, uid, uid) < 0)
        return -errno;
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
        return -errno;
    if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid)
        return -EPERM;
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return -EPERM;
#ifdef OE_SANITIZER_BUILD
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* LeakSanitizer's tracer must attach at exit */
#endif
    return no_new_privs_all_threads();
}

static uid_t tree_uid;
static gid_t tree_gid;

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (lchown(path, tree_uid, tree_gid) < 0)
        return -errno;
    return 0;
}

int oe_chown_tree(const char *path, uid_t uid, gid_t gid)
{
    tree_uid = uid;
    tree_gid = gid;
    int rc = nftw(path, chown_one, 16, FTW_PHYS | FTW_MOUNT);
    return rc > 0 ? -EIO : rc < 0 ? (rc == -1 ? -errno : rc) : 0;
}

static bool child_ids_set;
static uid_t child_uid;
static gid_t child_gid;

void oe_service_set_child_ids(uid_t uid, gid_t gid)
{
    child_uid = uid;
    child_gid = gid;
    child_ids_set = true;
}

bool oe_service_child_ids(uid_t *uid, gid_t *gid)
{
    if (!child_ids_set || geteuid() != 0)
        return false;
    *uid = child_uid;
    *gid = child_gid;
    return true;
}
