/*
 * The module interface. A module is a const struct of hooks plus a table of config directives;
 * the build selects modules into one static table (modules/core/modules.c).
 *
 * Lifecycle, all on the main thread unless stated:
 *   conf_init(conf)             defaults, for each section instance (zero-filled before)
 *   directives                  setters fill the conf from the file
 *   conf_check(cf, sec, conf)   cross-key rules of one instance; report with oe_conf_error_key
 *   conf_finish(cf)             rules across instances or modules, after every conf_check
 *   init(ctx)                   load state, prepare; no I/O on sockets yet. Negative = refuse.
 *   start(ctx)                  open handles and timers on ctx->loop
 *   stop(ctx)                   close handles; the loop then runs until they are closed. On a
 *                               reload the new generation has started before the old one stops.
 *   stopped(ctx)                after stop: true once work the module left running in the
 *                               background has ended (e.g. worker threads draining connections);
 *                               the module calls oe_runtime_wake() when that changes. NULL = at
 *                               once. The runtime never waits: it asks again when woken.
 *   destroy(ctx)                release everything init made; runs in table order, once every
 *                               module of the generation reported stopped (or after a failed
 *                               init/start), so the http module joins worker threads that have
 *                               already ended, before later modules go
 * A module whose section is absent from the config is not initialised at all; a module without a
 * section is always initialised.
 */
#ifndef OE_MODULE_H
#define OE_MODULE_H

#include "core/conf.h"

#define OE_MODULE_NAMED    0x1u /* sections are [section "name"], any number of them */
#define OE_MODULE_IMPLICIT 0x2u /* single section that exists with defaults when absent */

typedef struct oe_runtime oe_runtime_t;
struct uv_loop_s;

typedef struct oe_modctx {
    const struct oe_module *module;
    oe_conf_t *cf;          /* the configuration in force; read-only after load */
    struct uv_loop_s *loop; /* main loop */
    oe_runtime_t *rt;
    void *data; /* the module's own runtime state */
    void *gen;  /* the generation (runtime internal) */
} oe_modctx_t;

/* The runtime state (ctx->data) of module m in the same generation as ctx, or NULL when m is not
 * configured or not initialised yet. Modules initialise in table order. */
void *oe_modctx_peer(const oe_modctx_t *ctx, const struct oe_module *m);

/* A subcommand a module adds to the command line: `odoh-edge NAME ARGS...`. run gets argv with
 * argv[0] = NAME and returns the process exit code. */
typedef struct oe_command {
    const char *name;
    const char *usage;   /* e.g. "keys list|rotate|export [-c FILE]" */
    const char *summary; /* one line for --help */
    int (*run)(int argc, char **argv);
} oe_command_t;

typedef struct oe_module {
    const char *name;    /* module name, as in MODULES= */
    const char *section; /* config section name; NULL for a module without one */
    unsigned flags;
    size_t conf_size;
    const oe_directive_t *directives; /* ends with an entry whose key is NULL */
    const char *summary;              /* one line for --help and help-config */
    const oe_command_t *commands;     /* NULL, or a table ending with a NULL name */
    void (*conf_init)(void *conf);
    int (*conf_check)(oe_conf_t *cf, oe_conf_section_t *sec, void *conf);
    int (*conf_finish)(oe_conf_t *cf);
    int (*init)(oe_modctx_t *ctx);
    int (*start)(oe_modctx_t *ctx);
    void (*stop)(oe_modctx_t *ctx);
    bool (*stopped)(oe_modctx_t *ctx);
    void (*destroy)(oe_modctx_t *ctx);
    /* The name of the [site] this module serves in cf, or NULL (not configured, or no site):
     * for checks across modules, which find each other through oe_modules. May be NULL. */
    const char *(*site_name)(const oe_conf_t *cf);
} oe_module_t;

/* The compiled-in modules, NULL-terminated, core first. */
extern const oe_module_t *const oe_modules[];

/* Every section name the project knows, with its module, compiled in or not, so the config can
 * say "module X is not compiled into this binary" instead of "unknown section". */
typedef struct oe_known_section {
    const char *section;
    const char *module;
} oe_known_section_t;
extern const oe_known_section_t oe_known_sections[];

const oe_module_t *oe_module_by_section(const char *section);
/* A compiled-in module by name, or NULL. */
const oe_module_t *oe_module_by_name(const char *name);

#endif
