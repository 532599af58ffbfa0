/*
 * `odoh-edge acme status|renew [SITE] [-c FILE]`. Both work from the state folder alone, without
 * talking to the running server: status reads each site's certificate and last error there;
 * renew leaves a request file (STATE/acme/NAME.renew) that the running server sees at its next
 * check (check-interval) and answers with a new order, whatever the certificate's age; the file
 * goes once a new certificate is in place (a reload or restart in between still honours it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "acme/acme_int.h"
#include "core/cli.h"
#include "core/core.h"
#include "core/fs.h"
#include "tls/tls.h"

static void status_site(const acme_conf_t *c, const oe_site_t *s, const char *state)
{
    char cert[4096], key[4096], path[4200], t1[32], t2[32];
    oe_http_acme_paths(s, state, cert, key, sizeof(cert));
    oe_buf_t b = {0};
    oe_tls_cert_facts_t f;
    printf("[site \"%s\"]\n", s->name);
    if (oe_file_read_all(cert, &b) && oe_tls_cert_facts(b.base, b.len, &f) == OE_OK) {
        oe_acme__fmt_time(f.not_after, t1, sizeof(t1));
        oe_acme__fmt_time(oe_acme__renew_at(c, f.not_before, f.not_after), t2, sizeof(t2));
        printf("  certificate   %s\n  issuer        %s\n  expires       %s\n", cert, f.issuer, t1);
        /* The server's renewalInfo window (RFC 9773), when it gave one for this certificate. */
        long long at, ws, we;
        oe_buf_t ari = {0};
        oe_acme__site_file(s, state, "ari", path, sizeof(path));
        if (oe_file_read_all(path, &ari) && (oe_buf_append(&ari, "", 1), 1) &&
            sscanf((char *)ari.base, "%lld %lld %lld", &at, &ws, &we) == 3) {
            char w1[32], w2[32];
            oe_acme__fmt_time(at, t2, sizeof(t2));
            oe_acme__fmt_time(ws, w1, sizeof(w1));
            oe_acme__fmt_time(we, w2, sizeof(w2));
            printf("  next renewal  %s (renewalInfo window %s .. %s)\n", t2, w1, w2);
        } else {
            printf("  next renewal  %s\n", t2);
        }
        oe_buf_free(&ari);
    } else {
        printf("  certificate   none yet (a temporary one is served)\n");
    }
    oe_buf_free(&b);
    oe_acme__site_file(s, state, "renew", path, sizeof(path));
    if (access(path, F_OK) == 0)
        printf("  renewal       asked for, not done yet\n");
    oe_acme__site_file(s, state, "error", path, sizeof(path));
    oe_buf_t e = {0};
    if (oe_file_read_all(path, &e) && e.len > 0) {
        oe_buf_append(&e, "", 1);
        char *msg = strchr((char *)e.base, ' ');
        oe_acme__fmt_time(strtoll((char *)e.base, NULL, 10), t1, sizeof(t1));
        if (msg != NULL)
            msg[strcspn(msg, "\n")] = '\0';
        printf("  last error    %s %s\n", t1, msg ? msg + 1 : "");
    } else {
        printf("  last error    none\n");
    }
    oe_buf_free(&e);
}

int oe_acme__command(int argc, char **argv)
{
    int code = 0;
    oe_conf_t *cf = oe_cli_config(&argc, argv, &code);
    if (cf == NULL)
        return code;
    const acme_conf_t *c = oe_conf_get(cf, &oe_acme_module);
    const char *state = oe_core_conf(cf)->state_dir;
    const char *want = argc > 2 ? argv[2] : NULL;
    bool renew = argc >= 2 && strcmp(argv[1], "renew") == 0;
    if (argc < 2 || argc > 3 || (!renew && strcmp(argv[1], "status") != 0)) {
        fprintf(stderr, "usage: odoh-edge acme status|renew [SITE] [-c FILE]\n");
        oe_conf_free(cf);
        return OE_EXIT_USAGE;
    }
    if (c == NULL) {
        fprintf(stderr, "acme: the configuration has no [acme] section\n");
        oe_conf_free(cf);
        return 1;
    }
    size_t found = 0;
    for (size_t i = 0; i < oe_http_site_count(cf); i++) {
        const oe_site_t *s = oe_http_site(cf, i);
        if (!s->cert_acme || (want != NULL && strcmp(want, s->name) != 0))
            continue;
        found++;
        if (!renew) {
            status_site(c, s, state);
            continue;
        }
        char path[4200];
        oe_acme__site_file(s, state, "renew", path, sizeof(path));
        int rc = oe_file_write_atomic(path, "", 0, 0600);
        if (rc != 0) {
            fprintf(stderr, "acme: %s: %s\n", path, oe_strerror(rc));
            code = 1;
        } else {
            printf("[site \"%s\"]: renewal asked for; the running server orders a new "
                   "certificate within check-interval\n",
                   s->name);
        }
    }
    if (found == 0) {
        fprintf(stderr,
                want ? "acme: no site \"%s\" with cert = acme\n"
                     : "acme: no site with cert = acme%s\n",
                want ? want : "");
        code = 1;
    }
    oe_conf_free(cf);
    return code;
}
