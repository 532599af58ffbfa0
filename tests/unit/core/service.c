#define _GNU_SOURCE /* unshare */
/* Running as a service: pid files, the user/group databases a static binary reads itself, the
 * notify text, and the seccomp sandbox (in a child process, which it cannot leave). */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sandbox.h"
#include "core/service.h"
#include "unit/test.h"

static char *tmpfile_with(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/oe-unit-svc-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
    return path;
}

TEST(pidfile_round_trip_and_strict_reading)
{
    char path[] = "/tmp/oe-unit-pid-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_INT(oe_pidfile_write(path), 0);
    pid_t pid = 0;
    CHECK_INT(oe_pidfile_read(path, &pid), 0);
    CHECK_INT(pid, getpid());
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0644);
    const char *bad[] = {"",    "\n",   "12",    "12\n\n",       " 12\n",
                         "1\n", "-5\n", "12x\n", "99999999999\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = tmpfile_with(bad[i]);
        CHECK_INT(oe_pidfile_read(p, &pid), -EINVAL);
        unlink(p);
    }
    unlink(path);
    CHECK_INT(oe_pidfile_read(path, &pid), -ENOENT);
}

TEST(user_and_group_lookup_by_name_and_number)
{
    char *pw = strdup(tmpfile_with("root:x:0:0:root:/root:/bin/sh\n"
                                   "# comment\n"
                                   "broken line\n"
                                   "svc:x:123:456::/nonexistent:/usr/sbin/nologin\n"));
    char *gr = strdup(tmpfile_with("root:x:0:\nsvcgrp:x:789:\n"));
    uid_t uid = 1;
    gid_t gid = 1;
    CHECK_INT(oe_lookup_user("svc", pw, &uid, &gid), 0);
    CHECK_INT(uid, 123);
    CHECK_INT(gid, 456);
    CHECK_INT(oe_lookup_user("123", pw, &uid, &gid), 0);
    CHECK_INT(uid, 123);
    CHECK_INT(oe_lookup_user("sv", pw, &uid, &gid), -ENOENT);
    CHECK_INT(oe_lookup_user("broken line", pw, &uid, &gid), -ENOENT);
    CHECK_INT(oe_lookup_group("svcgrp", gr, &gid), 0);
    CHECK_INT(gid, 789);
    CHECK_INT(oe_lookup_group("0", gr, &gid), 0);
    CHECK_INT(gid, 0);
    CHECK_INT(oe_lookup_group("nogrp", gr, &gid), -ENOENT);
    unlink(pw);
    unlink(gr);
    free(pw);
    free(gr);
}

TEST(notify_reloading_text_carries_monotonic_usec)
{
    char buf[80];
    int n = oe_notify_reloading_text(buf, sizeof(buf), 1234567890123ULL);
    CHECK_STR(buf, "RELOADING=1\nMONOTONIC_USEC=1234567890123\n");
    CHECK_INT(n, 41);
    CHECK_INT(oe_notify_reloading_text(buf, 10, 1), -ENOSPC);
}

/* In a child: the sandbox allows what the server does (files, sockets), refuses what it never
 * does (mount, unshare) with EPERM, and after the start refuses a change of ids too. */
TEST(sandbox_refuses_calls_off_the_list)
{
    if (!oe_sandbox_supported())
        return;
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int fails = 0;
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
            dup2(nul, 2); /* the refusals are logged: keep the test output clean */
        int rc = oe_sandbox_enter();
        if (rc == -ENOSYS || rc == -EINVAL)
            _exit(77); /* no seccomp filters here (qemu-user): nothing to test */
        if (rc != 0)
            _exit(10);
        int fd = open("/dev/null", O_RDONLY);
        fails += fd < 0;
        close(fd);
        errno = 0;
        fails += !(mount("none", "/mnt", "tmpfs", 0, NULL) == -1 && errno == EPERM);
        errno = 0;
        fails += !(unshare(0) == -1 && errno == EPERM);
        fails += getuid() != getuid(); /* still callable */
        if (oe_sandbox_end_startup() != 0)
            _exit(11);
        errno = 0;
        fails += !(setgid(getgid()) == -1 && errno == EPERM);
        _exit(fails);
    }
    int status = 0;
    CHECK_INT(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        printf("# sandbox_refuses_calls_off_the_list: SKIP, this kernel has no seccomp filters\n");
        return;
    }
    CHECK_INT(WEXITSTATUS(status), 0);
}
