/*
 * The seccomp sandbox ([global] sandbox = yes, the default where supported): after the start
 * (and the privilege drop), every thread of the process, and every child it starts, may make only
 * the system calls on the list in sandbox.c. Others fail with EPERM and are logged ("sandbox:
 * refused system call N"); in a child (an on-change command) they end it with SIGSYS.
 */
#ifndef OE_SANDBOX_H
#define OE_SANDBOX_H

#include <stdbool.h>

/* Sanitizer builds (make asan, asan-integration): LeakSanitizer stops the world with ptrace at
 * exit, which neither the allow-list nor a non-dumpable process allows, so these builds run
 * without the sandbox (and stay dumpable after a privilege drop). */
#if defined(__SANITIZE_ADDRESS__)
#define OE_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OE_SANITIZER_BUILD 1
#endif
#endif

/* True when this build knows the system call list of its architecture. */
bool oe_sandbox_supported(void);

/* Sets no_new_privs and installs the allow-list (with the start-up calls: chown, setuid...) on
 * every thread. Call before the first event loop exists. 0 or -errno (-ENOSYS when not
 * supported). Main thread. */
int oe_sandbox_enter(void);

/* After the start (and the privilege drop): refuses the start-up calls from now on. */
int oe_sandbox_end_startup(void);

#endif
