/*
 * odoh-edge: command line, configuration lookup, then hand-over to the runtime.
 *
 *   odoh-edge [-c FILE] [run]    run (default); -c may also follow the command
 *   odoh-edge [-c FILE] check|-t check the configuration and exit (78 on errors)
 *   odoh-edge version|-V         versions of odoh-edge and its libraries
 *   odoh-edge help-config        every section and key with its meaning
 *   odoh-edge help-config --man  odoh-edge.conf(5) from the same tables (the build runs it)
 *   odoh-edge help --man         odoh-edge(8)
 *   odoh-edge help|--help        usage
 * Modules add subcommands (keys, query, origins) through their command tables.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/conf.h"
#include "core/core.h"
#include "core/log.h"
#include "core/manpage.h"
#include "core/module.h"
#include "core/oe.h"
#include "core/version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: odoh-edge [-c FILE] [COMMAND] [ARGS] (-c FILE may also follow the command)\n"
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
            "                 odoh-edge.conf next to the binary, then " OE_SYSTEM_CONF ",\n"
            "                 then the embedded default\n"
            "\n"
            "signals: SIGTERM/SIGINT stop after in-flight requests (exit 0); SIGHUP re-reads the\n"
            "configuration and applies it only if it is entirely valid; SIGUSR1 reopens the log\n"
            "files (after logrotate moved them).\n");
}

static void help_config(void)
{
    for (size_t i = 0; oe_modules[i] != NULL; i++) {
        const oe_module_t *m = oe_modules[i];
        if (m->section == NULL)
            continue;
        printf("[%s%s]  %s\n", m->section, (m->flags & OE_MODULE_NAMED) ? " \"NAME\"" : "",
               m->summary ? m->summary : "");
        for (const oe_directive_t *d = m->directives; d != NULL && d->key != NULL; d++) {
            /* Some help texts say "(repeatable)" where it reads best; never twice. */
            const char *help = d->help ? d->help : "";
            bool mark = (d->flags & OE_CONF_LIST) && strstr(help, "(repeatable)") == NULL;
            printf("  %-22s %s%s\n", d->key, help, mark ? " (repeatable)" : "");
        }
        printf("\n");
    }
}

/* Global options may come before the command (`odoh-edge -c FILE check`) as well as after it. */
int main(int argc, char **argv)
{
    const char *cmd = NULL, *conf_path = NULL;
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "odoh-edge: -c needs a file (see odoh-edge --help)\n");
                return OE_EXIT_USAGE;
            }
            conf_path = argv[++i];
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--test") == 0) {
            cmd = "check";
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            cmd = "version";
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cmd = "help";
        } else {
            fprintf(stderr, "odoh-edge: unexpected argument \"%s\" (see odoh-edge --help)\n", a);
            return OE_EXIT_USAGE;
        }
    }
    if (cmd == NULL)
        cmd = i < argc ? argv[i++] : "run";

    /* A module's command sees its own name, its arguments, then the global -c FILE. */
    for (size_t m = 0; oe_modules[m] != NULL; m++) {
        for (const oe_command_t *c = oe_modules[m]->commands; c != NULL && c->name != NULL; c++) {
            if (strcmp(c->name, cmd) != 0)
                continue;
            char **args = oe_calloc((size_t)argc + 3, sizeof(*args));
            int n = 0;
            args[n++] = (char *)cmd;
            while (i < argc)
                args[n++] = argv[i++];
            if (conf_path != NULL) {
                args[n++] = "-c";
                args[n++] = (char *)conf_path;
            }
            int rc = c->run(n, args);
            free(args);
            return rc;
        }
    }

    bool man = false;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--man") == 0 &&
            (strcmp(cmd, "help") == 0 || strcmp(cmd, "help-config") == 0)) {
            man = true;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
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
        if (man)
            oe_man_program(stdout);
        else
            usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0) {
        oe_version_print(stdout);
        return 0;
    }
    if (strcmp(cmd, "help-config") == 0) {
        if (man)
            oe_man_config(stdout);
        else
            help_config();
        return 0;
    }
    if (strcmp(cmd, "check") != 0 && strcmp(cmd, "run") != 0) {
        fprintf(stderr, "odoh-edge: unknown command \"%s\" (see odoh-edge --help)\n", cmd);
        return OE_EXIT_USAGE;
    }

    const char *path = oe_cli_find_config(conf_path);
    oe_conf_t *cf = oe_cli_load(path);
    if (oe_conf_nerrors(cf) > 0 || strcmp(cmd, "check") == 0) {
        int rc = oe_cli_report(cf);
        if (rc == 0)
            fprintf(stderr, "%s: configuration ok\n", oe_conf_path(cf));
        oe_conf_free(cf);
        return rc;
    }
    int rc = oe_core_apply_logging(oe_core_conf(cf));
    if (rc < 0) {
        fprintf(stderr, "odoh-edge: cannot open the log file: %s\n", oe_strerror(rc));
        oe_conf_free(cf);
        return 1;
    }
    /* A run's warnings go where its log goes, in its format (log-file, log-format = json). */
    for (size_t w = 0; w < oe_conf_nwarnings(cf); w++)
        oe_log_warn("core", "%s", oe_conf_warning_at_index(cf, w));
    oe_log_info("core", "configuration: %s", oe_conf_path(cf));
    int code = oe_runtime_run(cf, path);
    oe_log_close(); /* every worker has stopped: a log file is closed, not left to exit */
    return code;
}
