/*
 * `odoh-edge keys list|rotate|export [-c FILE]`: the key store seen from the command line. A
 * running server picks up a rotation at its next check (check-interval), since it re-reads the
 * store each time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cli.h"
#include "core/core.h"
#include "crypto/encode.h"
#include "http/http.h"
#include "keys/keys_int.h"

extern const oe_module_t oe_keys_module;
extern const oe_module_t oe_odoh_target_module;

static void fmt_time(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int list(keys_t *k, int64_t now)
{
    printf("%-16s  %-8s  %-20s  %-20s  %-20s\n", "key id", "state", "active from", "retires",
           "accepted until");
    for (size_t i = 0; i < k->n; i++) {
        const oe_key_entry_t *e = &k->entries[i];
        char id[65], a[32], r[32], g[32];
        oe_hex_encode(id, e->key.config.key_id, OE_ODOH_KEY_ID_LEN);
        fmt_time(e->activate, a, sizeof(a));
        fmt_time(e->retire, r, sizeof(r));
        fmt_time(e->retire + k->sched.grace, g, sizeof(g));
        printf("%.16s  %-8s  %-20s  %-20s  %-20s\n", id,
               oe_key_state_name(oe_key_state(e, &k->sched, now)), a, r, g);
    }
    return 0;
}

static int export(keys_t *k, int64_t now)
{
    uint8_t configs[512];
    size_t len = oe_keys__configs(k, now, configs, sizeof(configs));
    if (len == 0) {
        fprintf(stderr, "keys: nothing is published (no current key)\n");
        return 1;
    }
    char hex[2 * sizeof(configs) + 1], b64[OE_BASE64_LEN(sizeof(configs)) + 1];
    oe_hex_encode(hex, configs, len);
    oe_base64_encode(b64, sizeof(b64), configs, len);
    printf("hex     %s\nbase64  %s\n", hex, b64);
    oe_buf_t b = {0};
    oe_keys__zone_lines(k, configs, len, &b);
    fwrite(b.base, 1, b.len, stdout);
    oe_buf_free(&b);
    return 0;
}

int oe_keys__command(int argc, char **argv)
{
    int code;
    oe_conf_t *cf = oe_cli_config(&argc, argv, &code);
    if (cf == NULL)
        return code;
    const char *what = argc > 1 ? argv[1] : "";
    /* [keys] is implicit (its defaults apply without it); the keys belong to the target. */
    keys_conf_t *c = oe_conf_get(cf, &oe_keys_module);
    bool target = oe_conf_count(cf, &oe_odoh_target_module) > 0;
    if (c == NULL || !target ||
        (strcmp(what, "list") != 0 && strcmp(what, "rotate") != 0 && strcmp(what, "export") != 0)) {
        if (c == NULL || !target)
            fprintf(stderr, "keys: %s has no [odoh-target] section (the keys are the target's)\n",
                    oe_conf_path(cf));
        else
            fprintf(stderr, "usage: odoh-edge keys list|rotate|export [-c FILE]\n");
        oe_conf_free(cf);
        return c == NULL || !target ? OE_EXIT_CONFIG : OE_EXIT_USAGE;
    }
    static keys_t k;
    int64_t now = oe_keys__now();
    int rc = oe_keys__setup(&k, cf, c, oe_core_conf(cf)->state_dir);
    if (c->record_name == NULL) {
        const oe_site_t *site = NULL;
        oe_conf_section_t *ts = oe_conf_section(cf, &oe_odoh_target_module, 0);
        /* the target's site name is the first key of its section: read it the generic way */
        const char *site_name = ts ? *(const char **)ts->conf : NULL;
        site = site_name ? oe_http_site_by_name(cf, site_name) : NULL;
        c->record_name = site ? site->hosts.v[0] : "odoh.invalid";
    }
    k.port = oe_http_tls_port(cf);
    bool changed;
    if (rc == 0)
        rc = oe_keys__load(&k, now);
    if (rc == 0 && strcmp(what, "rotate") == 0) {
        if (k.fleet_seed_len > 0) {
            fprintf(stderr, "keys: fleet mode derives keys from the seed and the clock; there "
                            "is nothing to rotate by hand\n");
            rc = 1;
        } else {
            rc = oe_keys__rotate_now(&k, now);
            if (rc == OE_ESPACE) {
                fprintf(stderr,
                        "keys: %s holds %zu keys, the most that leaves room for the schedule "
                        "(%d in all); each rotation by hand keeps one more key until its grace "
                        "ends: try again later\n",
                        k.dir, k.n, KEYS_STORE_MAX);
                rc = 1;
            }
            if (rc == 0)
                rc = oe_keys__load(&k, now);
            if (rc == 0)
                printf("rotated: the new current key is in force at the server's next check\n");
        }
    } else if (rc == 0 && k.n == 0 && k.fleet_seed_len == 0) {
        rc = oe_keys__maintain(&k, now, &changed); /* first use: make the first key */
    }
    if (rc == 0 && strcmp(what, "export") == 0)
        rc = export(&k, now);
    else if (rc == 0)
        list(&k, now);
    if (rc < 0)
        fprintf(stderr, "keys: %s: %s\n", k.dir, oe_strerror(rc));
    oe_wipe(&k, sizeof(k)); /* the entries' seeds and the fleet seed */
    oe_conf_free(cf);
    return rc == 0 ? 0 : 1;
}
