/*
 * The process runtime: one main loop that owns signals and the module lifecycle. Worker threads
 * (one loop each) belong to the server modules, which start them from their start hook.
 *
 * Reload (SIGHUP) applies a new configuration completely or not at all: the new file is parsed
 * and checked, every module initialises against it (no sockets yet) and starts next to the old
 * generation (the http module hands the same listening sockets to the new workers), and only
 * then does the old generation stop. A failure at any step leaves the old generation running,
 * untouched, and logs why. Every reload is applied, however many old generations still drain.
 *
 * A stopped generation is retired: its modules may still have work in the background (worker
 * threads finishing requests, each generation with its own deadline), so it is freed only when
 * every module says it is done (the stopped hook), which the main loop learns from
 * oe_runtime_wake() and never waits for.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "core/stats.h"
#include "core/core.h"
#include "core/oe.h"
#include "core/sandbox.h"
#include "core/service.h"

#define TAG "core"

typedef struct generation {
    oe_conf_t *cf;
    oe_modctx_t ctx[32];
    size_t n;
    bool settled; /* retired at least one loop turn ago: the handles its stop closed are gone */
    struct generation *next; /* the list of retired generations */
} generation_t;

struct oe_runtime {
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup, sigusr1;
    uv_timer_t retire;
    uv_async_t wake; /* a module's background work ended (any thread) */
    const char *conf_path;
    generation_t *live;
    generation_t *retired; /* stopped, freed once every module is done */
    const char *pid_file;  /* written at start (a copy), removed at exit */
    const char *dropped;   /* the user the process switched to, or NULL */
    int exit_code;
    bool stopping;
};

/* A module with a section runs when the section is there; one without runs always and decides
 * in init whether it has work (e.g. static files for sites with a root). */
static bool configured(const oe_conf_t *cf, const oe_module_t *m)
{
    return m->section == NULL || oe_conf_count(cf, m) > 0;
}

void *oe_modctx_peer(const oe_modctx_t *ctx, const oe_module_t *m)
{
    const generation_t *g = ctx->gen;
    for (size_t i = 0; i < g->n; i++)
        if (g->ctx[i].module == m)
            return g->ctx[i].data;
    return NULL;
}

/* init every configured module; on failure destroy the ones already initialised. */
static int gen_init(oe_runtime_t *rt, generation_t *g)
{
    for (size_t i = 0; oe_modules[i] != NULL; i++) {
        const oe_module_t *m = oe_modules[i];
        if (!configured(g->cf, m))
            continue;
        if (g->n == OE_ARRAY_SIZE(g->ctx))
            abort();
        oe_modctx_t *c = &g->ctx[g->n];
        *c = (oe_modctx_t){.module = m, .cf = g->cf, .loop = rt->loop, .rt = rt, .gen = g};
        int rc = m->init != NULL ? m->init(c) : 0;
        if (rc < 0) {
            oe_log_error(TAG, "module %s failed to initialise: %s", m->name, oe_strerror(rc));
            while (g->n > 0) {
                oe_modctx_t *d = &g->ctx[--g->n];
                if (d->module->destroy != NULL)
                    d->module->destroy(d);
            }
            return rc;
        }
        g->n++;
    }
    return 0;
}

/* Starts the modules in table order. On failure, *started is how many did start (the failing
 * one cleaned up after itself); the caller retires the generation. */
static int gen_start(generation_t *g, size_t *started)
{
    for (size_t i = 0; i < g->n; i++) {
        oe_modctx_t *c = &g->ctx[i];
        int rc = c->module->start != NULL ? c->module->start(c) : 0;
        if (rc < 0) {
            oe_log_error(TAG, "module %s failed to start: %s", c->module->name, oe_strerror(rc));
            *started = i;
            return rc;
        }
    }
    *started = g->n;
    return 0;
}

/* destroy runs in table order: the http module, whose worker threads have ended by now (see
 * retire), joins them before the modules whose handlers those threads ran are destroyed. */
static void gen_free(generation_t *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        if (g->ctx[i].module->destroy != NULL)
            g->ctx[i].module->destroy(&g->ctx[i]);
    oe_conf_free(g->cf);
    free(g);
}

static void on_close_noop(uv_handle_t *h)
{
}

/* Frees the retired generations whose modules are all done; never waits for one. */
static void collect(oe_runtime_t *rt)
{
    for (generation_t **p = &rt->retired; *p != NULL;) {
        generation_t *g = *p;
        bool done = g->settled;
        for (size_t i = 0; done && i < g->n; i++)
            if (g->ctx[i].module->stopped != NULL)
                done = g->ctx[i].module->stopped(&g->ctx[i]);
        if (!done) {
            p = &g->next;
            continue;
        }
        *p = g->next;
        gen_free(g);
    }
    if (rt->stopping && rt->retired == NULL && !uv_is_closing((uv_handle_t *)&rt->wake)) {
        uv_close((uv_handle_t *)&rt->wake, on_close_noop);
        uv_close((uv_handle_t *)&rt->retire, on_close_noop);
    }
}

/* One loop turn after a retirement: the handles the stop hooks closed have closed. */
static void on_retire(uv_timer_t *t)
{
    oe_runtime_t *rt = t->data;
    for (generation_t *g = rt->retired; g != NULL; g = g->next)
        g->settled = true;
    collect(rt);
}

static void on_wake(uv_async_t *a)
{
    collect(a->data);
}

void oe_runtime_wake(oe_runtime_t *rt)
{
    if (rt != NULL)
        uv_async_send(&rt->wake);
}

bool oe_runtime_stopping(const oe_runtime_t *rt)
{
    return rt != NULL && rt->stopping;
}

/* Stops g (whose modules from index 0 to started-1 were started) and frees it in the background
 * once its modules are done. */
static void retire(oe_runtime_t *rt, generation_t *g, size_t started)
{
    for (size_t i = started; i-- > 0;)
        if (g->ctx[i].module->stop != NULL)
            g->ctx[i].module->stop(&g->ctx[i]);
    g->settled = false;
    g->next = rt->retired;
    rt->retired = g;
    uv_timer_start(&rt->retire, on_retire, 0, 0);
}

static void reload_generation(oe_runtime_t *rt);

/* systemd learns when a reload starts and ends (RELOADING=1 ... READY=1), whatever its result. */
static void reload(oe_runtime_t *rt)
{
    oe_notify("RELOADING=1");
    reload_generation(rt);
    oe_notify("READY=1");
}

/* Logged after a failed reload of a process that dropped its privileges: the most likely cause
 * is a new port below 1024 (or a file only root may read). */
static void reload_hint(const oe_runtime_t *rt)
{
    if (rt->dropped != NULL)
        oe_log_error(TAG,
                     "(the process runs as user %s since it started: a new listener on a "
                     "port below 1024, or a file only root may read, needs a restart)",
                     rt->dropped);
}

static void reload_generation(oe_runtime_t *rt)
{
    if (rt->conf_path == NULL) {
        oe_log_warn(TAG, "reload requested, but the configuration is the embedded default; "
                         "nothing to re-read");
        return;
    }
    oe_conf_t *cf = oe_conf_load_file(rt->conf_path);
    if (oe_conf_nerrors(cf) > 0) {
        oe_stat_inc(OE_STAT_RELOAD_FAILED);
        for (size_t i = 0; i < oe_conf_nerrors(cf); i++)
            oe_log_error(TAG, "%s", oe_conf_error_at_index(cf, i));
        oe_log_error(TAG, "reload failed: %zu error(s); still running the previous configuration",
                     oe_conf_nerrors(cf));
        oe_conf_free(cf);
        return;
    }
    generation_t *g = oe_calloc(1, sizeof(*g));
    g->cf = cf;
    if (gen_init(rt, g) < 0) {
        oe_stat_inc(OE_STAT_RELOAD_FAILED);
        oe_log_error(TAG, "reload failed; still running the previous configuration");
        reload_hint(rt);
        g->n = 0;
        gen_free(g);
        return;
    }
    /* The new generation starts next to the old one (sharing its listening sockets), so the
     * old keeps running untouched if this fails. */
    size_t started;
    if (gen_start(g, &started) < 0) {
        oe_stat_inc(OE_STAT_RELOAD_FAILED);
        oe_log_error(TAG, "reload failed; still running the previous configuration");
        reload_hint(rt);
        retire(rt, g, started);
        return;
    }
    retire(rt, rt->live, rt->live->n);
    rt->live = g;
    oe_core_apply_logging(oe_core_conf(cf));
    oe_stat_inc(OE_STAT_RELOAD_OK);
    oe_log_info(TAG, "configuration reloaded from %s", rt->conf_path);
    for (size_t i = 0; i < oe_conf_nwarnings(cf); i++)
        oe_log_warn(TAG, "%s", oe_conf_warning_at_index(cf, i));
}

static void close_signals(oe_runtime_t *rt)
{
    uv_close((uv_handle_t *)&rt->sigterm, on_close_noop);
    uv_close((uv_handle_t *)&rt->sigint, on_close_noop);
    uv_close((uv_handle_t *)&rt->sighup, on_close_noop);
    uv_close((uv_handle_t *)&rt->sigusr1, on_close_noop);
}

static void shutdown_runtime(oe_runtime_t *rt)
{
    if (rt->stopping)
        return;
    rt->stopping = true;
    oe_notify("STOPPING=1");
    oe_log_info(TAG, "stopping");
    retire(rt, rt->live, rt->live->n);
    rt->live = NULL;
    close_signals(rt);
}

static void on_signal(uv_signal_t *h, int signum)
{
    oe_runtime_t *rt = h->data;
    if (signum == SIGHUP) {
        reload(rt);
    } else if (signum == SIGUSR1) {
        /* logrotate moved the files: every log continues in a new file at its path. */
        int rc = oe_log_reopen();
        if (rc < 0)
            oe_log_error(TAG, "SIGUSR1: cannot reopen the log file: %s", oe_strerror(rc));
        else
            oe_log_info(TAG, "log files reopened");
    } else
        shutdown_runtime(rt);
}

static bool sandbox_off; /* the kernel refused to install it (see sandbox_begin) */

/* The sandbox starts before the first loop (so every thread inherits it) and narrows once the
 * start is over. */
static int sandbox_begin(const oe_core_conf_t *c)
{
    if (!c->sandbox)
        return 0;
    if (!oe_sandbox_supported()) {
        oe_log_info(TAG, "no system call sandbox on this architecture");
        return 0;
    }
    int rc = oe_sandbox_enter();
    if (rc == -ENOSYS || rc == -EINVAL) {
        /* A kernel without seccomp filters (or qemu-user, which has none to offer). */
        oe_log_warn(TAG,
                    "sandbox: this kernel has no seccomp filters (%s); running without the "
                    "system call sandbox",
                    oe_strerror(rc));
        sandbox_off = true;
        return 0;
    }
    if (rc < 0)
        oe_log_error(TAG, "sandbox: %s", oe_strerror(rc));
    return rc;
}

static int enter_sandbox(const oe_core_conf_t *c)
{
    if (!c->sandbox || !oe_sandbox_supported() || sandbox_off)
        return 0;
    int rc = oe_sandbox_end_startup();
    if (rc < 0)
        oe_log_error(TAG, "sandbox: %s", oe_strerror(rc));
    else
        oe_log_info(TAG, "system call sandbox on");
    return rc;
}

/* After the first generation started (every listener bound, every root-only file read): the pid
 * file, then the switch to [global] user. State the process created as root is handed to that
 * user first, so that it can rewrite it (key rotation). */
static int become_service(oe_runtime_t *rt, const oe_core_conf_t *c)
{
    int rc;
    if (c->pid_file != NULL) {
        rc = oe_pidfile_write(c->pid_file);
        if (rc < 0) {
            oe_log_error(TAG, "pid-file %s: %s", c->pid_file, oe_strerror(rc));
            return rc;
        }
        rt->pid_file = oe_strdup(c->pid_file);
    }
    if (c->user == NULL || (getuid() == c->uid && geteuid() == c->uid && getgid() == c->gid))
        return enter_sandbox(c);
    rc = oe_chown_tree(c->state_dir, c->uid, c->gid);
    if (rc < 0) {
        oe_log_error(TAG, "state-dir %s: cannot give it to user %s: %s", c->state_dir, c->user,
                     oe_strerror(rc));
        return rc;
    }
    rc = oe_drop_privileges(c->uid, c->gid);
    if (rc < 0) {
        oe_log_error(TAG, "cannot switch to user %s (uid %ld, gid %ld): %s", c->user, (long)c->uid,
                     (long)c->gid, oe_strerror(rc));
        return rc;
    }
    rt->dropped = oe_strdup(c->user);
    oe_log_info(TAG, "running as user %s (uid %ld, gid %ld), no new privileges", c->user,
                (long)c->uid, (long)c->gid);
    return enter_sandbox(c);
}

int oe_runtime_run(oe_conf_t *cf, const char *conf_path)
{
    oe_runtime_t rt = {.conf_path = conf_path};
    if (sandbox_begin(oe_core_conf(cf)) < 0) {
        oe_conf_free(cf);
        return 1;
    }
    rt.loop = uv_default_loop();
    int nrc = oe_notify_open();
    if (nrc < 0)
        oe_log_warn(TAG, "NOTIFY_SOCKET: %s; systemd will not hear from this process",
                    oe_strerror(nrc));
    signal(SIGPIPE, SIG_IGN);

    uv_timer_init(rt.loop, &rt.retire);
    uv_async_init(rt.loop, &rt.wake, on_wake);
    rt.retire.data = rt.wake.data = &rt;
    /* Signals are caught from the start (a SIGHUP while certificates are generated must not kill
     * the process); they are handled once the loop runs. */
    uv_signal_init(rt.loop, &rt.sigterm);
    uv_signal_init(rt.loop, &rt.sigint);
    uv_signal_init(rt.loop, &rt.sighup);
    uv_signal_init(rt.loop, &rt.sigusr1);
    rt.sigterm.data = rt.sigint.data = rt.sighup.data = rt.sigusr1.data = &rt;
    uv_signal_start(&rt.sigterm, on_signal, SIGTERM);
    uv_signal_start(&rt.sigint, on_signal, SIGINT);
    uv_signal_start(&rt.sighup, on_signal, SIGHUP);
    uv_signal_start(&rt.sigusr1, on_signal, SIGUSR1);

    generation_t *g = oe_calloc(1, sizeof(*g));
    g->cf = cf;
    int rc = gen_init(&rt, g);
    if (rc < 0) {
        gen_free(g);
        close_signals(&rt);
        uv_close((uv_handle_t *)&rt.wake, on_close_noop);
        uv_close((uv_handle_t *)&rt.retire, on_close_noop);
        uv_run(rt.loop, UV_RUN_DEFAULT);
        uv_loop_close(rt.loop);
        return 1;
    }
    size_t started;
    if (gen_start(g, &started) < 0) {
        /* What did start (e.g. workers that accepted a connection) ends in the background. */
        rt.stopping = true;
        rt.exit_code = 1;
        close_signals(&rt);
        retire(&rt, g, started);
        uv_run(rt.loop, UV_RUN_DEFAULT);
        uv_loop_close(rt.loop);
        return 1;
    }
    rt.live = g;
    if (become_service(&rt, oe_core_conf(cf)) < 0) {
        rt.stopping = true;
        rt.exit_code = 1;
        rt.live = NULL;
        close_signals(&rt);
        retire(&rt, g, g->n);
        uv_run(rt.loop, UV_RUN_DEFAULT);
        uv_loop_close(rt.loop);
        return 1;
    }
    if (oe_conf_count(cf, oe_module_by_name("http")) == 0)
        oe_log_warn(TAG, "no [listen] section is configured; idling until stopped");
    oe_log_info(TAG, "odoh-edge %s running (%zu module(s))", OE_VERSION, g->n);

    /* Runs until stopped and every generation has been freed (collect closes the last handles). */
    oe_notify("READY=1");
    uv_run(rt.loop, UV_RUN_DEFAULT);
    uv_loop_close(rt.loop);
    if (rt.pid_file != NULL) {
        unlink(rt.pid_file); /* may fail after the drop; the next start overwrites it */
        free((char *)rt.pid_file);
    }
    free((char *)rt.dropped);
    oe_log_info(TAG, "stopped");
    return rt.exit_code;
}
