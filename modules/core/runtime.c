/*
 * The process runtime: one main loop that owns signals and the module lifecycle. Worker threads
 * (one loop each) belong to the server modules, which start them from their start hook.
 *
 * Reload (SIGHUP) applies a new configuration completely or not at all: the new file is parsed
 * and checked, every module initialises against it (no sockets yet), and only then do the old
 * modules stop and the new ones start. A failure at any step leaves the old configuration
 * running and logs why.
 */
#include <signal.h>
#include <stdlib.h>
#include <uv.h>

#include "core/core.h"
#include "core/oe.h"

#define TAG "core"

typedef struct generation {
    oe_conf_t *cf;
    oe_modctx_t ctx[32];
    size_t n;
} generation_t;

struct oe_runtime {
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t retire;
    const char *conf_path;
    generation_t *live, *old;
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

static int gen_start(generation_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        oe_modctx_t *c = &g->ctx[i];
        int rc = c->module->start != NULL ? c->module->start(c) : 0;
        if (rc < 0) {
            oe_log_error(TAG, "module %s failed to start: %s", c->module->name, oe_strerror(rc));
            while (i-- > 0)
                if (g->ctx[i].module->stop != NULL)
                    g->ctx[i].module->stop(&g->ctx[i]);
            return rc;
        }
    }
    return 0;
}

static void gen_stop(generation_t *g)
{
    for (size_t i = g->n; i-- > 0;)
        if (g->ctx[i].module->stop != NULL)
            g->ctx[i].module->stop(&g->ctx[i]);
}

/* destroy runs in table order: the http module, which owns the worker threads, joins them
 * before the modules whose handlers those threads ran are destroyed. */
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

/* Old generations are destroyed one loop turn after stop, when their handles have closed. */
static void on_retire(uv_timer_t *t)
{
    oe_runtime_t *rt = t->data;
    gen_free(rt->old);
    rt->old = NULL;
}

static void reload(oe_runtime_t *rt)
{
    if (rt->conf_path == NULL) {
        oe_log_warn(TAG, "reload requested, but the configuration is the embedded default; "
                         "nothing to re-read");
        return;
    }
    if (rt->old != NULL) {
        oe_log_warn(TAG, "reload requested while the previous one is finishing; try again");
        return;
    }
    oe_conf_t *cf = oe_conf_load_file(rt->conf_path);
    if (oe_conf_nerrors(cf) > 0) {
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
        oe_log_error(TAG, "reload failed; still running the previous configuration");
        g->n = 0;
        gen_free(g);
        return;
    }
    gen_stop(rt->live);
    if (gen_start(g) < 0) {
        oe_log_error(TAG, "reload failed; restarting the previous configuration");
        gen_free(g);
        if (gen_start(rt->live) < 0) {
            oe_log_error(TAG, "the previous configuration failed to restart; exiting");
            rt->exit_code = 1;
            uv_stop(rt->loop);
        }
        return;
    }
    oe_core_apply_logging(oe_core_conf(cf));
    rt->old = rt->live;
    rt->live = g;
    uv_timer_start(&rt->retire, on_retire, 0, 0);
    oe_log_info(TAG, "configuration reloaded from %s", rt->conf_path);
    for (size_t i = 0; i < oe_conf_nwarnings(cf); i++)
        oe_log_warn(TAG, "%s", oe_conf_warning_at_index(cf, i));
}

static void on_close_noop(uv_handle_t *h)
{
}

static void shutdown_runtime(oe_runtime_t *rt)
{
    if (rt->stopping)
        return;
    rt->stopping = true;
    oe_log_info(TAG, "stopping");
    gen_stop(rt->live);
    uv_close((uv_handle_t *)&rt->sigterm, on_close_noop);
    uv_close((uv_handle_t *)&rt->sigint, on_close_noop);
    uv_close((uv_handle_t *)&rt->sighup, on_close_noop);
    uv_close((uv_handle_t *)&rt->retire, on_close_noop);
}

static void on_signal(uv_signal_t *h, int signum)
{
    oe_runtime_t *rt = h->data;
    if (signum == SIGHUP)
        reload(rt);
    else
        shutdown_runtime(rt);
}

int oe_runtime_run(oe_conf_t *cf, const char *conf_path)
{
    oe_runtime_t rt = {.conf_path = conf_path};
    rt.loop = uv_default_loop();
    signal(SIGPIPE, SIG_IGN);

    generation_t *g = oe_calloc(1, sizeof(*g));
    g->cf = cf;
    rt.live = g;
    int rc = gen_init(&rt, g);
    if (rc == 0)
        rc = gen_start(g);
    if (rc < 0) {
        gen_free(g);
        uv_loop_close(rt.loop);
        return 1;
    }
    if (oe_conf_count(cf, oe_module_by_name("http")) == 0)
        oe_log_warn(TAG, "no [listen] section is configured; idling until stopped");

    uv_signal_init(rt.loop, &rt.sigterm);
    uv_signal_init(rt.loop, &rt.sigint);
    uv_signal_init(rt.loop, &rt.sighup);
    uv_timer_init(rt.loop, &rt.retire);
    rt.sigterm.data = rt.sigint.data = rt.sighup.data = rt.retire.data = &rt;
    uv_signal_start(&rt.sigterm, on_signal, SIGTERM);
    uv_signal_start(&rt.sigint, on_signal, SIGINT);
    uv_signal_start(&rt.sighup, on_signal, SIGHUP);
    oe_log_info(TAG, "odoh-edge %s running (%zu module(s))", OE_VERSION, g->n);

    uv_run(rt.loop, UV_RUN_DEFAULT);

    gen_free(rt.old);
    gen_free(rt.live);
    uv_loop_close(rt.loop);
    oe_log_info(TAG, "stopped");
    return rt.exit_code;
}
