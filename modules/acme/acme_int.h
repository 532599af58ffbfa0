/*
 * Internals of the acme module shared by its units: acme.c (the module: configuration, hooks,
 * the HTTP-01 route), acme_flow.c (the order, RFC 8555 §7), acme_req.c (one request to the ACME
 * server), acme_sched.c (when to order: renewal, renewalInfo, back-off), acme_store.c (the files
 * in STATE/acme/) and acme_cmd.c (the command line). Nothing outside modules/acme includes this.
 * Everything here runs on the main loop, except the HTTP-01 tokens (under a->lock).
 */
#ifndef OE_ACME_INT_H
#define OE_ACME_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "acme/acme_dns.h"
#include "acme/acme_jws.h"
#include "core/conf.h"
#include "core/module.h"
#include "dns/upstream.h"
#include "http/client.h"
#include "http/http.h"
#include "tls/tls.h"

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

#define URL_MAX 1024 /* the longest URL taken from the ACME server */

/* ---- runtime state (the main loop's, except tokens: see lock) -------------------------------- */

typedef struct token {
    char *token, *keyauth;
} token_t;

typedef struct acme_site {
    const oe_site_t *site;
    int64_t renew_at;    /* 0: no certificate yet */
    uint64_t retry_at;   /* loop time (ms) before which no new order starts */
    uint64_t backoff_ms; /* the next back-off */
    int challenge;       /* CH_*: dns-01 for wildcard names, else [acme] challenge */
    bool asked;          /* `acme renew` asked for a new certificate: until one arrives */
    char cert_id[200];   /* RFC 9773 §4.1 of the stored certificate, "" when none */
    uint64_t ari_at;     /* loop time (ms) of the next renewalInfo look, 0: now */
    bool ari_job;        /* the job in progress only asks renewalInfo */
} acme_site_t;

typedef struct acme acme_t;
typedef void (*step_fn)(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body);

struct acme {
    /* the module (acme.c) */
    oe_modctx_t *ctx;
    const acme_conf_t *conf;
    oe_http_t *http;
    oe_tls_server_t *tls_server; /* the http module's, for TLS-ALPN-01 */
    const char *state_dir;
    char dir[4096];   /* STATE/acme */
    uv_timer_t check; /* acme_sched.c's oe_acme__check */
    int handles;      /* open uv handles */
    oe_tls_client_t *tls;
    oe_http_client_t *client;
    oe_upstream_t *dns; /* for the ACME server's name; NULL without a resolver */
    oe_sockaddr_t resolver;
    char resolver_text[80];
    oe_acme_dns_t *dns01; /* dns-01 publisher */
    acme_site_t *sites;
    size_t nsites;
    bool uses[4]; /* challenge types some site needs */
    bool stopping;

    /* the account (acme_store.c) */
    oe_acme_key_t key; /* the account key */
    const char *acct;  /* its files: ACCT.key, ACCT.url ("account", "account-rsa") */
    char thumb[OE_ACME_THUMBPRINT_LEN + 1];
    char *kid; /* the account URL, once known */

    /* the directory (acme_flow.c) */
    char new_nonce[URL_MAX], new_account[URL_MAX], new_order[URL_MAX];
    char renewal_info[URL_MAX]; /* RFC 9773, "" when the server offers none */
    bool ari_none;              /* the directory has no renewalInfo: renew-before only */

    /* HTTP-01 answers, read by the workers' handler (acme.c) */
    pthread_mutex_t lock;
    token_t *tokens;
    size_t ntokens;

    /* the request in progress (acme_req.c) */
    step_fn next;
    char url[URL_MAX]; /* of the request in progress */
    char *payload;     /* its JWS payload; NULL: GET (or POST-as-GET when post) */
    bool post, pem;    /* a JWS POST; wants a PEM chain */
    int bad_nonces;    /* retries of this request so far */
    char nonce[256];
    oe_upstream_lookup_t lookup;
    oe_upstream_query_t *lookup_q;
    char host[256]; /* resolved host:port */
    unsigned port;
    struct sockaddr_storage addr;
    bool have_addr;
    oe_http_call_t *call;
    bool fetching_nonce;     /* the call in progress asks newNonce for a nonce */
    oe_buf_t sent;           /* the body of the call in progress (borrowed by the client) */
    uv_timer_t wait;         /* between polls */
    uint64_t retry_after_ms; /* of the last response, 0 when none */

    /* the order in progress (acme_flow.c; job NULL: none) */
    acme_site_t *job;
    char order_url[URL_MAX], finalize[URL_MAX], cert_url[URL_MAX];
    char dns_owner[300];    /* the _acme-challenge name published, "" when none */
    char chal_url[URL_MAX]; /* the challenge to answer once the record is in place */
    char **authz;
    size_t nauthz, iauthz;
    int polls;
    char *cert_key; /* PEM of the new certificate's key (secret) */
};

/* ---- acme.c: the module, its configuration, the HTTP-01 route -------------------------------- */

/* The challenge type a site is validated with (CH_*): dns-01 when it has a wildcard name, else
 * the [acme] challenge (resolved by the config check). */
int oe_acme__site_challenge(const acme_conf_t *c, const oe_site_t *s);

/* "http-01", "tls-alpn-01" or "dns-01" for CH_*. */
const char *oe_acme__challenge_name(int ch);

/* The HTTP-01 answers the route serves (RFC 8555 §8.3): token_add copies token and its key
 * authorization; tokens_clear withdraws them all. Under a->lock: the workers read them. */
void oe_acme__token_add(acme_t *a, const char *token, const char *keyauth);
void oe_acme__tokens_clear(acme_t *a);

/* ---- acme_flow.c: the order (RFC 8555 §7) ---------------------------------------------------- */

/* Starts the job of site s: an order (why says why, for the log) or, why NULL, only a look at
 * renewalInfo. One job at a time (a->job). */
void oe_acme__job_start(acme_t *a, acme_site_t *s, const char *why);

/* Ends the job after a failure: logged and kept in NAME.error, retried after the back-off. */
void oe_acme__job_fail(acme_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends the job (a->job becomes NULL): frees its state and withdraws its challenge answers. */
void oe_acme__job_clear(acme_t *a);

/* ---- acme_sched.c: when to order ------------------------------------------------------------- */

/* The check timer's callback (check-interval): starts the job of the first site that needs one,
 * unless one is in progress. */
void oe_acme__check(uv_timer_t *t);

/* The site's schedule from its stored certificate: when it is due for renewal, its CertID. */
void oe_acme__site_load(acme_t *a, acme_site_t *s);

/* The renewalInfo job (RFC 9773 §4): an unauthenticated GET of renewalInfo/CertID, then the
 * renewal time picked in its window; without renewalInfo or a CertID, renew-before alone. */
void oe_acme__step_ari(acme_t *a);

/* The job of s failed with msg (ended by the caller): renewalInfo falls back to renew-before; an
 * order is logged, kept in NAME.error and retried after the back-off, which then doubles. */
void oe_acme__sched_failed(acme_t *a, acme_site_t *s, const char *msg);

/* s has a new certificate in service (facts of its leaf): the next renewal, a fresh renewalInfo
 * look, no back-off, the renew request and the last error cleared. */
void oe_acme__sched_issued(acme_t *a, acme_site_t *s, const oe_tls_cert_facts_t *facts);

/* When a certificate valid from not_before to not_after should be renewed (Unix time). */
int64_t oe_acme__renew_at(const acme_conf_t *c, int64_t not_before, int64_t not_after);

/* RFC 3339 date-time as Unix time, or -1 when malformed. */
int64_t oe_acme__rfc3339(const char *t);

/* RFC 9773 §4.2: the renewal time chosen in the window [start, end] by random. */
int64_t oe_acme__ari_pick(int64_t start, int64_t end, uint32_t random);

/* Unix time t as "2026-11-30T02:02:12Z" (UTC) into out (32 bytes suffice). */
void oe_acme__fmt_time(int64_t t, char *out, size_t cap);

/* ---- acme_req.c: one request to the ACME server ---------------------------------------------- */

/* "https://host[:port]/path": host (lower-case as written), port (443 when absent) and a view of
 * the path (at least "/"). IPv6 literals are written [::1]. */
bool oe_acme__parse_url(const char *url, char *host, size_t hcap, unsigned *port,
                        const char **path);

/* Starts a request: GET (post false), or a JWS POST of payload (copied; NULL: POST-as-GET,
 * §6.3). next gets the answer once it is complete (after badNonce retries), or the error. */
void oe_acme__request(acme_t *a, const char *url, bool post, const char *payload, step_fn next);

/* POST-as-GET of a certificate chain (RFC 8555 §7.4.2: Accept application/pem-certificate-chain).
 */
void oe_acme__request_pem(acme_t *a, const char *url, step_fn next);

/* Polls the same URL again after Retry-After (bounded) or POLL_MS; a->next takes the answer. The
 * job fails after MAX_POLLS; what names the object in that message. */
void oe_acme__poll_again(acme_t *a, const char *what);

/* Polls url with POST-as-GET (after a POST to another URL, e.g. finalize) the same way; next takes
 * the answer. */
void oe_acme__poll_url(acme_t *a, const char *url, step_fn next, const char *what);

/* Whether the answer has the status want (200 also accepts 201) and a JSON body; else the job
 * fails, with the problem document (what names the request in the message). */
bool oe_acme__json_ok(acme_t *a, const char *what, int status, int want, oe_slice_t body);

/* Fails the job with the problem document of a failed response (status < 0: the error). An
 * accountDoesNotExist answer also forgets the account, to register again at the next attempt. */
void oe_acme__fail_response(acme_t *a, const char *what, int status, oe_slice_t body);

/* The problem document of a failed response (RFC 8555 §6.7, RFC 7807) as "type: detail", in one
 * line without control characters. */
void oe_acme__problem(oe_slice_t body, char *out, size_t cap);

/* The header name (lower-case) copied into out; "" when absent or too long. */
void oe_acme__copy_header(const oe_header_t *h, size_t n, const char *name, char *out, size_t cap);

/* ---- acme_store.c: the files in STATE/acme/ -------------------------------------------------- */

/* STATE/acme/NAME.EXT for site (NAME as oe_http_acme_paths makes it). */
void oe_acme__site_file(const oe_site_t *site, const char *state_dir, const char *ext, char *out,
                        size_t cap);

/* Loads the account key (made and stored when missing), its thumbprint and, when this key was
 * registered with this directory before, the account URL (a->kid). 0, or an error, logged. */
int oe_acme__account_load(acme_t *a);

/* The account URL kid (copied into a->kid) is stored with the directory it belongs to. */
void oe_acme__account_save(acme_t *a, const char *kid);

/* The server forgot the account: its URL goes from a->kid and from the state folder. */
void oe_acme__account_forget(acme_t *a);

/* Writes the certificate's key key_pem (0600) and then chain (0644) to the paths key and cert.
 * 0, or the error of the write that failed. */
int oe_acme__store_cert(const char *key_pem, oe_slice_t chain, const char *cert, const char *key);

/* NAME.error: "UNIX-TIME msg"; msg NULL removes it (the order went through). */
void oe_acme__store_error(const acme_t *a, const acme_site_t *s, const char *msg);

/* NAME.ari: "AT START END" of the renewalInfo pick (acme status shows it); NULL removes it. */
void oe_acme__store_ari(const acme_t *a, const acme_site_t *s, const char *text);

/* Whether NAME.renew (left by `acme renew`) exists; oe_acme__renew_done removes it. */
bool oe_acme__renew_asked(const acme_t *a, const acme_site_t *s);
void oe_acme__renew_done(const acme_t *a, const acme_site_t *s);

/* ---- acme_cmd.c: the command line ------------------------------------------------------------ */

int oe_acme__command(int argc, char **argv);

#endif
