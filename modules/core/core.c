#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"

#include "core/core.h"
#include "core/oe.h"
#include "core/service.h"

static const oe_conf_range_t workers_range = {0, 256, true};
static const oe_conf_range_t shutdown_range = {0, 3600 * 1000, false};
static const oe_conf_enum_t log_levels[] = {
    {"error", OE_LOG_ERROR},
    {"warn", OE_LOG_WARN},
    {"info", OE_LOG_INFO},
    {"debug", OE_LOG_DEBUG},
    {NULL, 0},
};
static const oe_conf_enum_t log_formats[] = {
    {"text", OE_LOG_TEXT}, {"json", OE_LOG_JSON}, {NULL, 0}};

#define F(field) offsetof(oe_core_conf_t, field)
static const oe_directive_t directives[] = {
    {"workers", oe_conf_set_int, F(workers), &workers_range, 0,
     "worker threads, each with its own event loop (auto = one per core)"},
    {"state-dir", oe_conf_set_path, F(state_dir), NULL, 0,
     "folder for keys and generated certificates (relative to the config file)"},
    {"log-level", oe_conf_set_enum, F(log_level), log_levels, 0, "error, warn, info or debug"},
    {"log-file", oe_conf_set_string, F(log_file), NULL, 0, "stderr (default) or a file path"},
    {"log-format", oe_conf_set_enum, F(log_format), log_formats, 0, "text or json"},
    {"shutdown-timeout", oe_conf_set_duration, F(shutdown_timeout), &shutdown_range, 0,
     "how long a stop, or a reload's old generation, waits for requests in flight"},
    {"pid-file", oe_conf_set_path, F(pid_file), NULL, 0,
     "write the process id here (for odoh-edge reload and stop without systemd)"},
    {"user", oe_conf_set_string, F(user), NULL, 0,
     "after binding the listeners, switch to this user (name or number; needs root)"},
    {"sandbox", oe_conf_set_bool, F(sandbox), NULL, 0,
     "after the start, allow only the system calls odoh-edge needs (seccomp; default yes)"},
    {"group", oe_conf_set_string, F(group), NULL, 0,
     "the group to switch to (default: the user's primary group)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef F

static void conf_init(void *conf)
{
    oe_core_conf_t *c = conf;
    c->workers = 0;
    c->state_dir = NULL;
    c->log_level = OE_LOG_INFO;
    c->log_file = "stderr";
    c->log_format = OE_LOG_TEXT;
    c->shutdown_timeout = 10000;
    c->sandbox = true;
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    oe_core_conf_t *c = conf;
    if (c->state_dir == NULL) {
        /* The installed config keeps its state where the system keeps state; a config anywhere
         * else (the source tree, make run) keeps it next to itself. */
        const char *probe = oe_conf_resolve_path(cf, "odoh-edge.conf");
        c->state_dir = strcmp(probe, OE_SYSTEM_CONF) == 0 ? OE_SYSTEM_STATE
                                                          : oe_conf_resolve_path(cf, "state");
    }
    if (c->user != NULL && oe_lookup_user(c->user, NULL, &c->uid, &c->gid) < 0) {
        oe_conf_error_key(cf, sec, "user", "no such user \"%s\" in /etc/passwd", c->user);
        return OE_ECONFIG;
    }
    if (c->group != NULL) {
        if (c->user == NULL) {
            oe_conf_error_key(cf, sec, "group", "group needs user");
            return OE_ECONFIG;
        }
        if (oe_lookup_group(c->group, NULL, &c->gid) < 0) {
            oe_conf_error_key(cf, sec, "group", "no such group \"%s\" in /etc/group", c->group);
            return OE_ECONFIG;
        }
    }
    if (c->pid_file != NULL && oe_conf_check_file_folder(cf, sec, "pid-file", c->pid_file) < 0)
        return OE_ECONFIG;
    /* The log file is opened relative to the working directory, as given. */
    int rc = oe_conf_check_writable_dir(cf, sec, "state-dir", c->state_dir);
    if (strcmp(c->log_file, "stderr") != 0 &&
        oe_conf_check_file_folder(cf, sec, "log-file", c->log_file) < 0)
        rc = OE_ECONFIG;
    return rc;
}

/* The state folder exists (0700) before any module needs it. */
static int core_init(oe_modctx_t *ctx)
{
    const oe_core_conf_t *c = oe_core_conf(ctx->cf);
    int rc = oe_mkdir_p(c->state_dir, 0700);
    if (rc < 0) {
        oe_log_error("core", "state-dir %s: %s", c->state_dir, oe_strerror(rc));
        return rc;
    }
    /* Started as root with a [global] user: the state is that user's from the start, so that
     * on-change commands (run as that user) can write next to it; the runtime hands over what
     * the modules create as root again before the drop. */
    if (c->user != NULL && geteuid() == 0) {
        oe_service_set_child_ids(c->uid, c->gid);
        rc = oe_chown_tree(c->state_dir, c->uid, c->gid);
        if (rc < 0)
            oe_log_error("core", "state-dir %s: cannot give it to user %s: %s", c->state_dir,
                         c->user, oe_strerror(rc));
    }
    return rc;
}

/* `odoh-edge reload|reopen|stop`: SIGHUP, SIGUSR1 or SIGTERM to the process named in [global]
 * pid-file. stop waits until that process has gone (shutdown-timeout plus 5 s at most). */
static int signal_cmd(int argc, char **argv)
{
    int code;
    oe_conf_t *cf = oe_cli_config(&argc, argv, &code);
    if (cf == NULL)
        return code;
    const oe_core_conf_t *c = oe_core_conf(cf);
    bool stop = strcmp(argv[0], "stop") == 0;
    int sig = stop ? SIGTERM : strcmp(argv[0], "reopen") == 0 ? SIGUSR1 : SIGHUP;
    pid_t pid = 0;
    int rc = 0;
    if (argc != 1) {
        fprintf(stderr, "usage: odoh-edge %s [-c FILE]\n", argv[0]);
        code = OE_EXIT_USAGE;
        goto out;
    }
    if (c->pid_file == NULL) {
        fprintf(stderr, "odoh-edge %s: %s sets no [global] pid-file\n", argv[0], oe_conf_path(cf));
        code = 1;
        goto out;
    }
    rc = oe_pidfile_read(c->pid_file, &pid);
    if (rc == 0 && kill(pid, sig) < 0)
        rc = -errno;
    if (rc < 0) {
        fprintf(stderr, "odoh-edge %s: %s: %s\n", argv[0], c->pid_file,
                rc == -ESRCH ? "no such process (not running?)" : oe_strerror(rc));
        code = 1;
        goto out;
    }
    code = 0;
    if (stop) {
        long rounds = (long)(c->shutdown_timeout / 100) + 50;
        while (kill(pid, 0) == 0 && rounds-- > 0)
            usleep(100 * 1000);
        if (rounds < 0) {
            fprintf(stderr, "odoh-edge stop: process %ld is still running\n", (long)pid);
            code = 1;
        }
    }
out:
    oe_conf_free(cf);
    return code;
}

static const oe_command_t oe_core_commands[] = {
    {"reload", "reload [-c FILE]", "make the running server re-read its config (pid-file)",
     signal_cmd},
    {"reopen", "reopen [-c FILE]", "make the running server reopen its log files (pid-file)",
     signal_cmd},
    {"stop", "stop [-c FILE]", "stop the running server and wait until it has (pid-file)",
     signal_cmd},
    {NULL, NULL, NULL, NULL},
};

const oe_module_t oe_core_module = {
    .name = "core",
    .section = "global",
    .flags = OE_MODULE_IMPLICIT,
    .conf_size = sizeof(oe_core_conf_t),
    .directives = directives,
    .summary = "process-wide settings: workers, state folder, logging, privileges",
    .commands = oe_core_commands,
    .conf_init = conf_init,
    .conf_check = conf_check,
    .init = core_init,
};

const oe_core_conf_t *oe_core_conf(const oe_conf_t *cf)
{
    return oe_conf_get(cf, &oe_core_module);
}

unsigned oe_core_workers(const oe_core_conf_t *c)
{
    if (c->workers > 0)
        return (unsigned)c->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int oe_core_apply_logging(const oe_core_conf_t *c)
{
    return oe_log_open(c->log_file, (oe_log_level_t)c->log_level, (oe_log_format_t)c->log_format);
}
