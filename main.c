/*
 * odoh-edge: command line, configuration lookup, then hand-over to the runtime.
 *
 *   odoh-edge [run] [-c FILE]    run (default)
 *   odoh-edge check|-t [-c FILE] check the configuration and exit (78 on errors)
 *   odoh-edge version|-V         versions of odoh-edge and its libraries
 *   odoh-edge help-config        every section and key with its meaning
 *   odoh-edge help|--help        usage
 * Modules add subcommands (keys, query, origins) through their command tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/conf.h"
#include "core/core.h"
#include "core/log.h"
#include "core/module.h"
#include "core/oe.h"
#include "core/version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: odoh-edge [COMMAND] [-c FILE]\n"
            "\n"
            "One static binary for a privacy edge: HTTPS sites with HTTP/2 ORIGIN frames, the\n"
            "Oblivious DoH (RFC 9230) proxy and target, and HPKE key rotation and publication.\n"
            "\n"
            "commands:\n"
            "  run            run the configured services (the default)\n"
            "  check, -t      check the configuration and exit (exit code 78 on errors)\n"
            "  version, -V    print the versions of odoh-edge and the libraries it was built with\n"
            "  help-config    list every config section and key\n"
            "  help, --help   this text\n");
    for (size_t i = 0; oe_modules[i] != NULL; i++)
        for (const oe_command_t *c = oe_modules[i]->commands; c != NULL && c->name != NULL; c++)
            fprintf(out, "  %-14s %s\n", c->name, c->summary);
    fprintf(out,
            "\n"
            "options:\n"
            "  -c FILE        configuration file; without it: ./odoh-edge.conf, then\n"
            "                 odoh-edge.conf next to the binary, then the embedded default\n"
            "\n"
            "signals: SIGTERM/SIGINT stop after in-flight requests (exit 0); SIGHUP re-reads the\n"
            "configuration and applies it only if it is entirely valid.\n");
}

static void help_config(void)
{
    for (size_t i = 0; oe_modules[i] != NULL; i++) {
        const oe_module_t *m = oe_modules[i];
        if (m->section == NULL)
            continue;
        printf("[%s%s]  %s\n", m->section, (m->flags & OE_MODULE_NAMED) ? " \"NAME\"" : "",
               m->summary ? m->summary : "");
        for (const oe_directive_t *d = m->directives; d != NULL && d->key != NULL; d++)
            printf("  %-22s %s%s\n", d->key, d->help ? d->help : "",
                   (d->flags & OE_CONF_LIST) ? " (repeatable)" : "");
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    const char *cmd = "run", *conf_path = NULL;
    int i = 1;

    if (i < argc && argv[i][0] != '-')
        cmd = argv[i++];
    else if (i < argc && (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--test") == 0))
        cmd = "check", i++;
    else if (i < argc && (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0))
        cmd = "version", i++;
    else if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0))
        cmd = "help", i++;

    for (size_t m = 0; oe_modules[m] != NULL; m++)
        for (const oe_command_t *c = oe_modules[m]->commands; c != NULL && c->name != NULL; c++)
            if (strcmp(c->name, cmd) == 0)
                return c->run(argc - (i - 1), argv + (i - 1));

    for (; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "-t") == 0) {
            cmd = "check";
        } else {
            fprintf(stderr, "odoh-edge: unexpected argument \"%s\" (see odoh-edge --help)\n",
                    argv[i]);
            return OE_EXIT_USAGE;
        }
    }

    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0) {
        oe_version_print(stdout);
        return 0;
    }
    if (strcmp(cmd, "help-config") == 0) {
        help_config();
        return 0;
    }
    if (strcmp(cmd, "check") != 0 && strcmp(cmd, "run") != 0) {
        fprintf(stderr, "odoh-edge: unknown command \"%s\" (see odoh-edge --help)\n", cmd);
        return OE_EXIT_USAGE;
    }

    const char *path = oe_cli_find_config(conf_path);
    oe_conf_t *cf = oe_cli_load(path);
    int rc = oe_cli_report(cf);
    if (rc != 0 || strcmp(cmd, "check") == 0) {
        if (rc == 0)
            fprintf(stderr, "%s: configuration ok\n", oe_conf_path(cf));
        oe_conf_free(cf);
        return rc;
    }
    rc = oe_core_apply_logging(oe_core_conf(cf));
    if (rc < 0) {
        fprintf(stderr, "odoh-edge: cannot open the log file: %s\n", oe_strerror(rc));
        oe_conf_free(cf);
        return 1;
    }
    oe_log_info("core", "configuration: %s", oe_conf_path(cf));
    return oe_runtime_run(cf, path);
}
