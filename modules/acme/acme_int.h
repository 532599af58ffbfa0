/*
 * Internals of the acme module shared by its units (acme.c: the module and the order flow;
 * acme_cmd.c: the command line). Nothing outside modules/acme includes this.
 */
#ifndef OE_ACME_INT_H
#define OE_ACME_INT_H

#include <stdint.h>

#include "core/conf.h"
#include "core/module.h"
#include "http/http.h"

#define TAG "acme"

#define OE_ACME_LE_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"

enum { CH_AUTO = 0, CH_HTTP01, CH_TLSALPN01, CH_DNS01 };

typedef struct acme_conf {
    const char *directory;
    const char *email;
    const char *ca_file;
    int challenge;           /* CH_* */
    int key_type;            /* oe_tls_key_type_t */
    int account_key;         /* oe_acme_alg_t: ES256 or RS256 */
    uint64_t renew_before;   /* ms; 0 = a third of the lifetime */
    uint64_t check_interval; /* ms */
    uint64_t retry_min;      /* ms: first back-off after a failure (doubles up to 1h) */
    oe_sockaddr_t resolver;  /* len 0: the first nameserver of /etc/resolv.conf */
    /* dns-01: DNS UPDATE + TSIG, the keys of [keys] */
    oe_sockaddr_t update_server; /* len 0: none */
    const char *update_zone;
    const char *tsig_name, *tsig_secret, *tsig_secret_file;
    bool agree_tos;
} acme_conf_t;

extern const oe_module_t oe_acme_module;

/* STATE/acme/NAME.EXT for site (NAME as oe_http_acme_paths makes it). */
void oe_acme__site_file(const oe_site_t *site, const char *state_dir, const char *ext, char *out,
                        size_t cap);

/* The challenge type a site is validated with (CH_*): dns-01 when it has a wildcard name, else
 * the [acme] challenge (resolved by the config check). */
int oe_acme__site_challenge(const acme_conf_t *c, const oe_site_t *s);

/* When a certificate valid from not_before to not_after should be renewed (Unix time). */
int64_t oe_acme__renew_at(const acme_conf_t *c, int64_t not_before, int64_t not_after);

/* RFC 3339 date-time as Unix time, or -1 when malformed. */
int64_t oe_acme__rfc3339(const char *t);

/* RFC 9773 §4.2: the renewal time chosen in the window [start, end] by random. */
int64_t oe_acme__ari_pick(int64_t start, int64_t end, uint32_t random);

int oe_acme__command(int argc, char **argv);

#endif
