/*
 * Shared command-line plumbing for `odoh-edge run|check` and module subcommands.
 */
#ifndef OE_CLI_H
#define OE_CLI_H

#include "core/conf.h"

#define OE_EXIT_USAGE 64

/* The name of the embedded copy of the shipped config in messages (oe_conf_path). Its paths are
 * relative to the working directory, so checks that depend on files found there only warn. */
#define OE_CLI_EMBEDDED_NAME "(embedded odoh-edge.conf)"

/* The config file to use: given (from -c), else ./odoh-edge.conf, else odoh-edge.conf next to
 * the binary (the source tree: make run), else SYSCONFDIR/odoh-edge/odoh-edge.conf (an installed
 * binary), else NULL for the embedded copy of the shipped file. Returns a static buffer or
 * given itself. */
const char *oe_cli_find_config(const char *given);

/* Loads path (NULL = the embedded default). Errors are printed to stderr by oe_cli_report. */
oe_conf_t *oe_cli_load(const char *path);

/* Prints the errors and warnings of cf; returns 0, or OE_EXIT_CONFIG when it has errors. */
int oe_cli_report(const oe_conf_t *cf);

/* For subcommands: takes "-c FILE" out of argv (compacting it), loads and checks the config.
 * Returns the conf, or NULL after printing why with *exit_code set (78 or 64). */
oe_conf_t *oe_cli_config(int *argc, char **argv, int *exit_code);

#endif
