#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/core.h"
#include "core/version.h"

static const char default_name[] = "odoh-edge.conf";

const char *oe_cli_find_config(const char *given)
{
    static char path[PATH_MAX];
    if (given != NULL)
        return given;
    if (access(default_name, F_OK) == 0)
        return default_name;
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(default_name) - 1);
    if (n > 0) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        if (slash != NULL) {
            strcpy(slash + 1, default_name);
            if (access(path, F_OK) == 0)
                return path;
        }
    }
    if (access(OE_SYSTEM_CONF, F_OK) == 0)
        return OE_SYSTEM_CONF;
    return NULL;
}

oe_conf_t *oe_cli_load(const char *path)
{
    if (path != NULL)
        return oe_conf_load_file(path);
    return oe_conf_load_buffer(OE_CLI_EMBEDDED_NAME, ".", oe_default_conf, oe_default_conf_len);
}

int oe_cli_report(const oe_conf_t *cf)
{
    oe_conf_print_errors(cf, stderr);
    if (oe_conf_nerrors(cf) > 0) {
        fprintf(stderr, "%s: %zu error(s)\n", oe_conf_path(cf), oe_conf_nerrors(cf));
        return OE_EXIT_CONFIG;
    }
    return 0;
}

oe_conf_t *oe_cli_config(int *argc, char **argv, int *exit_code)
{
    const char *given = NULL;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "%s: -c needs a file\n", argv[0]);
                *exit_code = OE_EXIT_USAGE;
                return NULL;
            }
            given = argv[++i];
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    oe_conf_t *cf = oe_cli_load(oe_cli_find_config(given));
    *exit_code = oe_cli_report(cf);
    if (*exit_code != 0) {
        oe_conf_free(cf);
        return NULL;
    }
    return cf;
}
