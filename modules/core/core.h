/*
 * The core module: the [global] section and the process runtime (main loop, signals, reload).
 */
#ifndef OE_CORE_H
#define OE_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/module.h"

typedef struct oe_core_conf {
    long long workers;         /* 0 = one per core */
    const char *state_dir;     /* keys, generated certificates */
    int log_level;             /* oe_log_level_t */
    const char *log_file;      /* "stderr" or a path */
    int log_format;            /* oe_log_format_t */
    uint64_t shutdown_timeout; /* ms: how long SIGTERM (or a reload, for the old generation's
                                  connections) waits for in-flight requests */
    const char *pid_file;      /* NULL = none */
    const char *user, *group;  /* NULL = keep the starting user (and its group) */
    uid_t uid;                 /* resolved by conf_check when user is set */
    gid_t gid;                 /* group's id, else user's primary group */
    bool sandbox;              /* seccomp allow-list after the start */
} oe_core_conf_t;

/* Built-in defaults, from the Makefile (SYSCONFDIR, STATEDIR): where an installed binary looks
 * for its config and keeps its state. */
#ifndef OE_SYSCONFDIR
#define OE_SYSCONFDIR "/etc"
#endif
#ifndef OE_STATEDIR
#define OE_STATEDIR "/var/lib"
#endif
#define OE_SYSTEM_CONF  OE_SYSCONFDIR "/odoh-edge/odoh-edge.conf"
#define OE_SYSTEM_STATE OE_STATEDIR "/odoh-edge"

extern const oe_module_t oe_core_module;

/* The [global] conf in force for cf (always present: the section is implicit). */
const oe_core_conf_t *oe_core_conf(const oe_conf_t *cf);

/* Worker count after resolving "auto". */
unsigned oe_core_workers(const oe_core_conf_t *c);

/* Runs the process until SIGTERM/SIGINT: initialises and starts every configured module, reloads
 * on SIGHUP (re-reading conf_path, or keeping the configuration when conf_path is NULL). Takes
 * ownership of cf. Returns the process exit code. */
int oe_runtime_run(oe_conf_t *cf, const char *conf_path);

/* Wakes the main loop (from any thread) to free retired generations whose modules are done; see
 * the stopped hook in module.h. */
void oe_runtime_wake(oe_runtime_t *rt);

/* True once the process is stopping (SIGTERM/SIGINT), as opposed to a reload retiring a
 * generation: stop hooks may drain faster then. */
bool oe_runtime_stopping(const oe_runtime_t *rt);

/* Applies [global] logging settings. Returns 0 or -errno. */
int oe_core_apply_logging(const oe_core_conf_t *c);

#endif
