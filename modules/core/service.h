/*
 * Running as a service: the systemd notify protocol (without libsystemd), the pid file, and the
 * privilege drop to [global] user/group. Main thread only.
 */
#ifndef OE_SERVICE_H
#define OE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Connects to $NOTIFY_SOCKET when it is set (a path, or "@name" for an abstract socket) and
 * keeps the descriptor, so notifications still reach systemd after the privilege drop. Returns 0
 * (also when the variable is unset) or -errno. */
int oe_notify_open(void);

/* Sends state (e.g. "READY=1", "STOPPING=1") when the socket is open; "RELOADING=1" gets the
 * MONOTONIC_USEC=... line systemd expects with it. Errors are ignored: the service runs on. */
void oe_notify(const char *state);

/* The text sent for RELOADING=1 at monotonic time usec (exposed for the unit tests). */
int oe_notify_reloading_text(char *out, size_t cap, uint64_t usec);

/* Writes the process id to path (0644, via a temporary file and rename). 0 or -errno. */
int oe_pidfile_write(const char *path);

/* Reads a pid file: one decimal number > 1 and a newline. 0 or -errno (OE_EFORMAT-style
 * -EINVAL when the content is not exactly that). */
int oe_pidfile_read(const char *path, pid_t *out);

/* Looks a user or group up by name or number in /etc/passwd and /etc/group (a static binary has
 * no NSS). For a user, *gid gets its primary group. 0, or -ENOENT when unknown. The files can be
 * redirected for tests with the passwd/group arguments (NULL = the system's). */
int oe_lookup_user(const char *name, const char *passwd, uid_t *uid, gid_t *gid);
int oe_lookup_group(const char *name, const char *group, gid_t *gid);

/* Switches the whole process (every thread) to uid/gid with only gid as supplementary group,
 * verifies that the switch holds (the ids re-read, and setuid(0) refused), and sets
 * PR_SET_NO_NEW_PRIVS on every thread. Returns 0 or -errno; the caller exits on failure. */
int oe_drop_privileges(uid_t uid, gid_t gid);

/* The ids child processes (on-change commands) run as: [global] user and group, recorded by the
 * runtime at start. True only while the process still runs as root (before the drop; after it,
 * children inherit the dropped ids anyway). */
void oe_service_set_child_ids(uid_t uid, gid_t gid);
bool oe_service_child_ids(uid_t *uid, gid_t *gid);

/* Gives every file and folder under path (and path itself) to uid/gid, without following
 * links, so that the dropped process can rewrite the state it created as root. 0 or -errno. */
int oe_chown_tree(const char *path, uid_t uid, gid_t gid);

#endif
