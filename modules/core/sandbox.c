/*
 * The seccomp sandbox: an allow-list of the system calls the process needs (worker loops, TLS,
 * files under state-dir, the upstream and publication sockets, reloads, on-change commands),
 * installed before the first loop exists, so every thread inherits it; a second filter refuses
 * the calls needed only to start (chown of state-dir, the switch of user) once that is done. Any
 * other call fails with EPERM, and is logged (SIGSYS handler) where the architecture lets the
 * handler set the return value; elsewhere it fails with EPERM silently. Children (on-change
 * commands) inherit the filter: a shell and the usual tools need nothing outside the list.
 *
 * The list was taken from strace runs of the integration suite (HTTPS, ODoH target and proxy,
 * rotation with on-change, reload, drain), plus what glibc and libuv use on paths those runs
 * did not take (fork/exec, sendfile, clock and sleep calls). io_uring is left out: its requests
 * would bypass the filter (libuv then batches epoll_ctl without it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sandbox.h"

/* musl-gcc ships no kernel headers: such a build has no sandbox. */
#if __has_include(<linux/audit.h>) && __has_include(<linux/seccomp.h>)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#define OE_HAVE_SECCOMP_HEADERS 1
#endif

#if defined(OE_SANITIZER_BUILD) || !defined(OE_HAVE_SECCOMP_HEADERS)
/* no sandbox (see sandbox.h) */
#elif defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define ARCH AUDIT_ARCH_ARM
#elif defined(__mips__) && defined(__MIPSEL__) && _MIPS_SIM == _ABIO32
#define ARCH AUDIT_ARCH_MIPSEL
#endif

#ifdef ARCH
/* clang-format off */
static const int allowed[] = {
#define A(name) __NR_##name,
    /* I/O and the event loop */
    A(read) A(write) A(readv) A(writev) A(pread64) A(pwrite64) A(preadv) A(pwritev) A(close)
    A(epoll_pwait) A(epoll_ctl) A(epoll_create1) A(eventfd2) A(pipe2) A(ppoll) A(pselect6)
    A(ioctl) A(fcntl) A(dup) A(dup3) A(lseek) A(sendfile) A(copy_file_range) A(splice)
#ifdef __NR_epoll_wait
    A(epoll_wait)
#endif
#ifdef __NR_epoll_create
    A(epoll_create)
#endif
#ifdef __NR_poll
    A(poll)
#endif
#ifdef __NR_select
    A(select)
#endif
#ifdef __NR_pipe
    A(pipe)
#endif
#ifdef __NR_eventfd
    A(eventfd)
#endif
#ifdef __NR_dup2
    A(dup2)
#endif
#ifdef __NR_fcntl64
    A(fcntl64)
#endif
#ifdef __NR__llseek
    A(_llseek)
#endif
#ifdef __NR_sendfile64
    A(sendfile64)
#endif
    /* sockets */
    A(socket) A(connect) A(bind) A(listen) A(accept4) A(shutdown) A(getsockname) A(getpeername)
    A(setsockopt) A(getsockopt) A(sendto) A(recvfrom) A(sendmsg) A(recvmsg) A(sendmmsg)
    A(recvmmsg) A(socketpair)
#ifdef __NR_accept
    A(accept)
#endif
#ifdef __NR_send
    A(send) A(recv)
#endif
    /* files under state-dir, configs, certificates, logs */
    A(openat) A(fstat) A(statx) A(faccessat) A(faccessat2) A(readlinkat) A(mkdirat) A(unlinkat)
    A(renameat) A(renameat2) A(fchmod) A(fchmodat) A(fsync) A(fdatasync) A(ftruncate)
    A(getdents64) A(getcwd) A(chdir) A(fchdir) A(umask) A(statfs) A(fstatfs) A(utimensat)
#ifdef __NR_openat2
    A(openat2)
#endif
#ifdef __NR_newfstatat
    A(newfstatat)
#endif
#ifdef __NR_open
    A(open) A(stat) A(lstat) A(access) A(readlink) A(mkdir) A(unlink) A(rename) A(chmod)
#endif
#ifdef __NR_fstat64
    A(fstat64) A(stat64) A(lstat64) A(fstatat64)
#endif
    /* memory */
    A(brk) A(munmap) A(mprotect) A(mremap) A(madvise)
#ifdef __NR_mmap
    A(mmap)
#endif
#ifdef __NR_mmap2
    A(mmap2)
#endif
    /* threads, time, signals, limits */
    A(futex) A(set_robust_list) A(get_robust_list) A(set_tid_address) A(rseq) A(clone)
    A(clone3) A(exit) A(exit_group) A(sched_yield) A(sched_getaffinity) A(nanosleep)
    A(clock_nanosleep) A(clock_gettime) A(clock_getres) A(gettimeofday) A(rt_sigaction)
    A(rt_sigprocmask) A(rt_sigreturn) A(rt_sigsuspend) A(sigaltstack) A(restart_syscall)
    A(tgkill) A(tkill) A(kill) A(getpid) A(getppid) A(gettid) A(getrandom) A(prlimit64)
    A(setrlimit) A(uname) A(sysinfo) A(prctl) A(membarrier)
    A(seccomp) /* a further filter can only narrow this one */
#ifdef __NR_getrlimit
    A(getrlimit)
#endif
#ifdef __NR_ugetrlimit
    A(ugetrlimit)
#endif
#ifdef __NR_arch_prctl
    A(arch_prctl)
#endif
#ifdef __NR_time
    A(time)
#endif
#ifdef __NR_set_thread_area
    A(set_thread_area)
#endif
#ifdef __NR_clock_gettime64
    A(clock_gettime64) A(clock_nanosleep_time64) A(futex_time64)
#endif
    /* ids (read only; a change of ids is refused) */
    A(getuid) A(geteuid) A(getgid) A(getegid) A(getresuid) A(getresgid) A(getgroups)
    /* on-change commands: fork, exec, wait */
    A(execve) A(wait4) A(waitid) A(setpgid) A(getpgid) A(setsid) A(getsid)
#ifdef __NR_fork
    A(fork)
#endif
#ifdef __NR_vfork
    A(vfork)
#endif
#ifdef __NR_getpgrp
    A(getpgrp)
#endif
#undef A
};
/* clang-format on */

/* Refused calls: logged, then failed with EPERM (x86_64 and aarch64 let the handler set the
 * result); async-signal-safe (one write of a line formatted by hand). */
static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
    uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
    (void)uc;
#endif
    char line[96] = "sandbox: refused system call ";
    size_t n = strlen(line);
    char digits[12];
    size_t k = 0;
    unsigned nr = (unsigned)si->si_syscall;
    do {
        digits[k++] = (char)('0' + nr % 10);
        nr /= 10;
    } while (nr > 0 && k < sizeof(digits));
    while (k > 0)
        line[n++] = digits[--k];
    memcpy(line + n, " (EPERM)", 8);
    n += 8;
    oe_log_raw(OE_LOG_ERROR, "core", line, n);
}

#if defined(__x86_64__) || defined(__aarch64__)
#define DENY SECCOMP_RET_TRAP
#else
#define DENY (SECCOMP_RET_ERRNO | EPERM)
#endif

/* Needed only until the start is over (the privilege drop, handing state-dir over): the second
 * filter refuses them. */
/* clang-format off */
static const int startup_only[] = {
#define A(name) __NR_##name,
    A(setgroups) A(setresuid) A(setresgid) A(setuid) A(setgid) A(fchownat) A(fchown)
#ifdef __NR_lchown
    A(lchown) A(chown)
#endif
#ifdef __NR_setgroups32
    A(setgroups32) A(setresuid32) A(setresgid32) A(setuid32) A(setgid32) A(fchown32)
    A(lchown32) A(chown32)
#endif
#undef A
};
/* clang-format on */

bool oe_sandbox_supported(void)
{
    return true;
}

/* Jumps to ALLOW (on_match = true) or DENY for every call in list. */
static size_t match_list(struct sock_filter *f, size_t i, const int *list, size_t n, size_t after)
{
    for (size_t k = 0; k < n; k++)
        f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)list[k],
                                              (unsigned char)(n - 1 - k + after), 0);
    return i;
}

static int install(struct sock_filter *f, size_t n)
{
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    if (r != 0)
        return r < 0 ? -errno : -EPERM;
    return 0;
}

#define LOAD(field)                                                                                \
    (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v) (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, (v))

int oe_sandbox_enter(void)
{
    enum { N = sizeof(allowed) / sizeof(allowed[0]), S = sizeof(startup_only) / sizeof(int) };
    _Static_assert(N + S < 250, "BPF jump offsets are 8 bits");
    struct sock_filter f[N + S + 12];
    size_t i = 0;
    f[i++] = LOAD(arch);
    f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
    f[i++] = RET(SECCOMP_RET_KILL_PROCESS);
    f[i++] = LOAD(nr);
#if defined(__x86_64__)
    /* x32 calls share the table with a high bit: never allowed (jump to DENY). */
    f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, N + S + 1, 0);
#endif
    /* libuv asks for an io_uring to batch epoll_ctl and falls back when it gets none: a quiet
     * ENOSYS, and no ring whose requests the filter could not see. */
    f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1);
    f[i++] = RET(SECCOMP_RET_ERRNO | ENOSYS);
    i = match_list(f, i, allowed, N, S + 1);
    i = match_list(f, i, startup_only, S, 1);
    f[i++] = RET(DENY);
    f[i++] = RET(SECCOMP_RET_ALLOW);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return -errno;
    return install(f, i);
}

int oe_sandbox_end_startup(void)
{
    enum { S = sizeof(startup_only) / sizeof(int) };
    struct sock_filter f[S + 8];
    size_t i = 0;
    f[i++] = LOAD(nr);
    i = match_list(f, i, startup_only, S, 1);
    f[i++] = RET(SECCOMP_RET_ALLOW);
    f[i++] = RET(DENY);
    return install(f, i);
}
#else
bool oe_sandbox_supported(void)
{
    return false;
}

int oe_sandbox_enter(void)
{
    return -ENOSYS;
}

int oe_sandbox_end_startup(void)
{
    return -ENOSYS;
}
#endif
