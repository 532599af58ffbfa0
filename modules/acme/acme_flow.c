/*
 * The order of one certificate (RFC 8555 §7), one job at a time, every step asynchronous:
 * directory → newAccount (once; the URL is kept) → newOrder (`replaces` the certificate in service,
 * RFC 9773 §5) → each authorization in turn (POST-as-GET) → its challenge answered (http-01 tokens
 * served by acme.c's route, a tls-alpn-01 validation certificate in the TLS engine, or a dns-01 TXT
 * record by DNS UPDATE) and `{}` sent → polls until valid → finalize with a CSR (a fresh key of
 * key-type) → polls of the order → the chain downloaded, stored (acme_store.c) and swapped into
 * the TLS server for new handshakes. Each step is one request (acme_req.c) whose answer goes to
 * the next step; a job that only asks renewalInfo goes from the directory to acme_sched.c's
 * oe_acme__step_ari. A job ends in oe_acme__job_clear, after oe_acme__job_fail on any failure (the
 * certificate in service stays; acme_sched.c decides when to try again). The fields of acme_t
 * under "the directory" and "the order in progress" are this file's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "acme/acme_int.h"
#include "acme/acme_json.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"

#define MAX_AUTHZ 100 /* identifiers per order (RFC 8555 leaves it to the server) */

static void on_directory(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body);
static void step_account(acme_t *a);
static void step_order(acme_t *a);
static void step_authz(acme_t *a);
static void on_challenge(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body);
static void step_finalize(acme_t *a);
static void on_cert(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body);

/* ---- the job: its start and its end ---------------------------------------------------------- */

void oe_acme__job_start(acme_t *a, acme_site_t *s, const char *why)
{
    if (why != NULL)
        oe_log_info(TAG, "[site \"%s\"] ordering a certificate (%s) from %s", s->site->name, why,
                    a->conf->directory);
    s->ari_job = why == NULL;
    a->job = s;
    a->polls = 0;
    oe_acme__request(a, a->conf->directory, false, NULL, on_directory);
}

static void dns_removed(void *data, int status, const char *msg)
{
    (void)data;
    if (status != 0)
        oe_log_warn(TAG, "dns-01: removing the challenge record: %s", msg);
}

/* Deletes the TXT RRset published for the current authorization; then cb (NULL: on its own). */
static void dns_remove(acme_t *a, oe_acme_dns_cb cb)
{
    if (oe_acme_dns_update(a->dns01, a->dns_owner, NULL, cb ? cb : dns_removed, a) < 0)
        oe_log_warn(TAG, "dns-01: cannot remove %s now", a->dns_owner);
    a->dns_owner[0] = '\0';
}

void oe_acme__job_clear(acme_t *a)
{
    for (size_t i = 0; i < a->nauthz; i++)
        free(a->authz[i]);
    free(a->authz);
    a->authz = NULL;
    a->nauthz = a->iauthz = 0;
    free(a->payload);
    a->payload = NULL;
    if (a->cert_key != NULL) {
        oe_wipe(a->cert_key, strlen(a->cert_key));
        free(a->cert_key);
        a->cert_key = NULL;
    }
    oe_acme__tokens_clear(a);
    if (a->dns_owner[0] != '\0' && a->dns01 != NULL)
        dns_remove(a, NULL); /* the order ended without it: remove the record anyway */
    if (a->tls_server != NULL && a->job->challenge == CH_TLSALPN01)
        oe_tls_server_acme_clear(a->tls_server);
    a->job = NULL;
}

void oe_acme__job_fail(acme_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    oe_acme__sched_failed(a, a->job, msg);
    oe_acme__job_clear(a);
}

/* ---- the steps ------------------------------------------------------------------------------- */

static void on_directory(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    if (!oe_acme__json_ok(a, "directory", status, 200, body))
        return;
    if (oe_acme_json_member_string(body, "newNonce", a->new_nonce, sizeof(a->new_nonce)) < 0 ||
        oe_acme_json_member_string(body, "newAccount", a->new_account, sizeof(a->new_account)) <
            0 ||
        oe_acme_json_member_string(body, "newOrder", a->new_order, sizeof(a->new_order)) < 0) {
        oe_acme__job_fail(a, "directory: newNonce, newAccount or newOrder missing");
        return;
    }
    if (oe_acme_json_member_string(body, "renewalInfo", a->renewal_info, sizeof(a->renewal_info)) <
        0)
        a->renewal_info[0] = '\0';
    a->ari_none = a->renewal_info[0] == '\0';
    if (a->job->ari_job) {
        oe_acme__step_ari(a);
        return;
    }
    step_account(a);
}

static void on_account(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    if (!oe_acme__json_ok(a, "newAccount", status, 200, body))
        return;
    char kid[URL_MAX], acc_status[32] = "";
    oe_acme__copy_header(h, n, "location", kid, sizeof(kid));
    oe_acme_json_member_string(body, "status", acc_status, sizeof(acc_status));
    if (kid[0] == '\0' || strcmp(acc_status, "valid") != 0) {
        oe_acme__job_fail(a, "newAccount: no account URL, or the account is \"%s\"", acc_status);
        return;
    }
    oe_acme__account_save(a, kid);
    oe_log_info(TAG, "%s ACME account %s", status == 201 ? "registered" : "using the", kid);
    step_order(a);
}

static void step_account(acme_t *a)
{
    if (a->kid != NULL) {
        step_order(a);
        return;
    }
    oe_buf_t p = {0};
    oe_buf_printf(&p, "{\"termsOfServiceAgreed\":true");
    if (a->conf->email != NULL) {
        char *mail = oe_asprintf("mailto:%s", a->conf->email);
        oe_buf_printf(&p, ",\"contact\":[");
        oe_acme_json_append_string(&p, mail);
        oe_buf_printf(&p, "]");
        free(mail);
    }
    oe_buf_printf(&p, "}");
    oe_buf_append(&p, "", 1);
    oe_acme__request(a, a->new_account, true, (const char *)p.base, on_account);
    oe_buf_free(&p);
}

static void on_order(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    if (!oe_acme__json_ok(a, "newOrder", status, 201, body))
        return;
    oe_slice_t list;
    oe_acme__copy_header(h, n, "location", a->order_url, sizeof(a->order_url));
    if (a->order_url[0] == '\0' ||
        oe_acme_json_member_string(body, "finalize", a->finalize, sizeof(a->finalize)) < 0 ||
        oe_acme_json_member(body, "authorizations", &list) < 0) {
        oe_acme__job_fail(a, "newOrder: no order URL, finalize URL or authorizations");
        return;
    }
    size_t pos = 0;
    oe_slice_t e;
    int rc;
    while ((rc = oe_acme_json_array_next(list, &pos, &e)) == 1 && a->nauthz < MAX_AUTHZ) {
        char url[URL_MAX];
        if (oe_acme_json_string(e, url, sizeof(url)) < 0) {
            rc = OE_EFORMAT;
            break;
        }
        a->authz = oe_realloc(a->authz, (a->nauthz + 1) * sizeof(*a->authz));
        a->authz[a->nauthz++] = oe_strdup(url);
    }
    if (rc < 0 || a->nauthz == 0) {
        oe_acme__job_fail(a, "newOrder: malformed authorizations");
        return;
    }
    a->iauthz = 0;
    step_authz(a);
}

static void step_order(acme_t *a)
{
    const oe_site_t *s = a->job->site;
    oe_buf_t p = {0};
    oe_buf_printf(&p, "{\"identifiers\":[");
    for (size_t i = 0; i < s->hosts.n; i++) {
        oe_buf_printf(&p, "%s{\"type\":\"dns\",\"value\":", i ? "," : "");
        oe_acme_json_append_string(&p, s->hosts.v[i]);
        oe_buf_printf(&p, "}");
    }
    oe_buf_printf(&p, "]");
    if (a->renewal_info[0] != '\0' && a->job->cert_id[0] != '\0') {
        /* RFC 9773 §5: this order replaces the certificate in service. */
        oe_buf_printf(&p, ",\"replaces\":");
        oe_acme_json_append_string(&p, a->job->cert_id);
    }
    oe_buf_printf(&p, "}");
    oe_buf_append(&p, "", 1);
    oe_acme__request(a, a->new_order, true, (const char *)p.base, on_order);
    oe_buf_free(&p);
}

/* The identifier's value of an authorization (a wildcard's names the base domain) into out: the
 * length, or an error (out may then hold part of it). */
static int authz_ident(oe_slice_t body, char *out, size_t cap)
{
    oe_slice_t id;
    int rc = oe_acme_json_member(body, "identifier", &id);
    return rc < 0 ? rc : oe_acme_json_member_string(id, "value", out, cap);
}

/* The error of an invalid authorization: its challenges' error objects. */
static void authz_error(oe_slice_t body, char *out, size_t cap)
{
    oe_slice_t list, ch, err;
    size_t pos = 0;
    snprintf(out, cap, "no detail");
    if (oe_acme_json_member(body, "challenges", &list) < 0)
        return;
    while (oe_acme_json_array_next(list, &pos, &ch) == 1)
        if (oe_acme_json_member(ch, "error", &err) == 0) {
            oe_acme__problem(err, out, cap);
            return;
        }
}

static void on_dns_removed_next(void *data, int status, const char *msg)
{
    acme_t *a = data;
    dns_removed(data, status, msg);
    if (a->job != NULL)
        step_authz(a);
}

static void on_authz_poll(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    if (!oe_acme__json_ok(a, "authorization", status, 200, body))
        return;
    char st[32] = "", ident[256] = "?";
    oe_acme_json_member_string(body, "status", st, sizeof(st));
    authz_ident(body, ident, sizeof(ident));
    if (strcmp(st, "valid") == 0) {
        oe_log_info(TAG, "[site \"%s\"] %s validated", a->job->site->name, ident);
        a->iauthz++;
        if (a->dns_owner[0] != '\0') { /* removed once validated (§8.4), then go on */
            dns_remove(a, on_dns_removed_next);
            return;
        }
        step_authz(a);
    } else if (strcmp(st, "pending") == 0 || strcmp(st, "processing") == 0) {
        oe_acme__poll_again(a, "authorization");
    } else {
        char e[800];
        authz_error(body, e, sizeof(e));
        oe_acme__job_fail(a, "authorization of %s is %s: %s", ident, st, e);
    }
}

static void on_challenge(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    if (!oe_acme__json_ok(a, "challenge", status, 200, body))
        return;
    a->polls = 0;
    oe_acme__request(a, a->authz[a->iauthz], true, NULL, on_authz_poll);
}

static void on_dns_set(void *data, int status, const char *msg)
{
    acme_t *a = data;
    if (a->job == NULL)
        return;
    if (status != 0) {
        a->dns_owner[0] = '\0';
        oe_acme__job_fail(a, "dns-01: %s", msg);
        return;
    }
    oe_log_info(TAG, "[site \"%s\"] dns-01: %s published", a->job->site->name, a->dns_owner);
    oe_acme__request(a, a->chal_url, true, "{}", on_challenge);
}

/* dns-01 (RFC 8555 §8.4): TXT at _acme-challenge.NAME = base64url(SHA-256(key authorization)),
 * by DNS UPDATE; the challenge at url is answered once the server applied it (on_dns_set).
 * ka (the key authorization) is borrowed. */
static void publish_dns01(acme_t *a, oe_slice_t body, const char *ka, const char *url)
{
    char ident[256], txt[OE_ACME_THUMBPRINT_LEN + 1];
    uint8_t digest[OE_CRYPTO_SHA256_LEN];
    oe_crypto_sha256(digest, ka, strlen(ka));
    oe_base64url_encode(txt, sizeof(txt), digest, sizeof(digest));
    if (authz_ident(body, ident, sizeof(ident)) < 0) {
        oe_acme__job_fail(a, "dns-01: no identifier in the authorization");
        return;
    }
    snprintf(a->dns_owner, sizeof(a->dns_owner), "_acme-challenge.%s", ident);
    snprintf(a->chal_url, sizeof(a->chal_url), "%s", url);
    int rc = oe_acme_dns_update(a->dns01, a->dns_owner, txt, on_dns_set, a);
    if (rc < 0) {
        a->dns_owner[0] = '\0';
        oe_acme__job_fail(a, "dns-01: cannot send the DNS UPDATE: %s", oe_strerror(rc));
    }
}

/* tls-alpn-01 (RFC 8737 §3): the validation certificate, carrying SHA-256(key authorization ka,
 * borrowed), goes into the TLS engine. false when the job failed. */
static bool add_tlsalpn01(acme_t *a, oe_slice_t body, const char *ka)
{
    char ident[256], *err = NULL;
    uint8_t digest[OE_CRYPTO_SHA256_LEN];
    oe_crypto_sha256(digest, ka, strlen(ka));
    if (authz_ident(body, ident, sizeof(ident)) < 0 ||
        oe_tls_server_acme_add(a->tls_server, ident, digest, &err) < 0) {
        oe_acme__job_fail(a, "tls-alpn-01: %s", err ? err : "no identifier in the authorization");
        free(err);
        return false;
    }
    return true;
}

static void on_authz(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    if (!oe_acme__json_ok(a, "authorization", status, 200, body))
        return;
    char st[32] = "";
    oe_acme_json_member_string(body, "status", st, sizeof(st));
    if (strcmp(st, "valid") == 0) { /* validated earlier (§7.1.4: reused) */
        a->iauthz++;
        step_authz(a);
        return;
    }
    if (strcmp(st, "pending") != 0) {
        char e[800];
        authz_error(body, e, sizeof(e));
        oe_acme__job_fail(a, "authorization is %s: %s", st, e);
        return;
    }
    const char *want = oe_acme__challenge_name(a->job->challenge);
    oe_slice_t list, ch;
    size_t pos = 0;
    if (oe_acme_json_member(body, "challenges", &list) < 0) {
        oe_acme__job_fail(a, "authorization without challenges");
        return;
    }
    while (oe_acme_json_array_next(list, &pos, &ch) == 1) {
        char type[32], url[URL_MAX], token[256];
        if (oe_acme_json_member_string(ch, "type", type, sizeof(type)) < 0 ||
            strcmp(type, want) != 0)
            continue;
        if (oe_acme_json_member_string(ch, "url", url, sizeof(url)) < 0 ||
            oe_acme_json_member_string(ch, "token", token, sizeof(token)) < 0) {
            oe_acme__job_fail(a, "%s challenge without url or token", want);
            return;
        }
        /* RFC 8555 §8.1: the token is base64url; nothing else may reach a path or a log. */
        for (const char *t = token; *t; t++)
            if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
                  (*t >= '0' && *t <= '9') || *t == '-' || *t == '_')) {
                oe_acme__job_fail(a, "%s challenge token is not base64url", want);
                return;
            }
        char *ka = oe_acme_key_authorization(token, &a->key);
        if (a->job->challenge == CH_DNS01) {
            publish_dns01(a, body, ka, url);
            free(ka);
            return;
        }
        if (a->job->challenge == CH_TLSALPN01) {
            if (!add_tlsalpn01(a, body, ka)) {
                free(ka);
                return;
            }
        } else {
            oe_acme__token_add(a, token, ka);
        }
        free(ka);
        /* §7.5.1: an empty object tells the server to validate now. */
        oe_acme__request(a, url, true, "{}", on_challenge);
        return;
    }
    oe_acme__job_fail(a, "the server offers no %s challenge", want);
}

static void step_authz(acme_t *a)
{
    if (a->iauthz == a->nauthz) {
        step_finalize(a);
        return;
    }
    oe_acme__request(a, a->authz[a->iauthz], true, NULL, on_authz);
}

static void on_order_state(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    if (!oe_acme__json_ok(a, "order", status, 200, body))
        return;
    char st[32] = "";
    oe_acme_json_member_string(body, "status", st, sizeof(st));
    if (strcmp(st, "valid") == 0) {
        if (oe_acme_json_member_string(body, "certificate", a->cert_url, sizeof(a->cert_url)) < 0) {
            oe_acme__job_fail(a, "valid order without a certificate URL");
            return;
        }
        oe_acme__request_pem(a, a->cert_url, on_cert);
    } else if (strcmp(st, "processing") == 0 || strcmp(st, "ready") == 0) {
        oe_acme__poll_url(a, a->order_url, on_order_state, "order");
    } else {
        char e[800];
        oe_slice_t err;
        if (oe_acme_json_member(body, "error", &err) == 0)
            oe_acme__problem(err, e, sizeof(e));
        else
            snprintf(e, sizeof(e), "no detail");
        oe_acme__job_fail(a, "order is %s: %s", st, e);
    }
}

static void step_finalize(acme_t *a)
{
    const oe_site_t *s = a->job->site;
    oe_buf_t der = {0};
    char *err = NULL;
    if (oe_tls_acme_csr(a->conf->key_type, s->hosts.v, s->hosts.n, &a->cert_key, &der, &err) < 0) {
        oe_acme__job_fail(a, "%s", err ? err : "cannot make the certificate request");
        free(err);
        return;
    }
    size_t blen = OE_BASE64URL_LEN(der.len) + 1;
    char *b64 = oe_malloc(blen);
    oe_base64url_encode(b64, blen, der.base, der.len);
    char *payload = oe_asprintf("{\"csr\":\"%s\"}", b64);
    free(b64);
    oe_buf_free(&der);
    a->polls = 0;
    oe_acme__request(a, a->finalize, true, payload, on_order_state);
    free(payload);
}

static void on_cert(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    acme_site_t *s = a->job;
    oe_tls_cert_facts_t facts;
    if (status != 200) {
        oe_acme__fail_response(a, "certificate download", status, body);
        return;
    }
    if (oe_tls_cert_facts(body.base, body.len, &facts) != OE_OK) {
        oe_acme__job_fail(a, "certificate download: not a PEM certificate chain");
        return;
    }
    char cert[4096], key[4096], *err = NULL;
    oe_http_acme_paths(s->site, a->state_dir, cert, key, sizeof(cert));
    int rc = oe_acme__store_cert(a->cert_key, body, cert, key);
    if (rc != 0) {
        oe_acme__job_fail(a, "cannot store the certificate in %s: %s", a->dir, oe_strerror(rc));
        return;
    }
    rc = oe_http_site_cert_replace(a->http, s->site, cert, key, &err);
    if (rc < 0 && rc != -ENOENT) {
        oe_acme__job_fail(a, "the new certificate cannot be served: %s",
                          err ? err : oe_strerror(rc));
        free(err);
        return;
    }
    char exp[32];
    oe_acme__fmt_time(facts.not_after, exp, sizeof(exp));
    oe_log_info(TAG, "[site \"%s\"] new certificate from %s, valid until %s%s", s->site->name,
                facts.issuer, exp, rc == 0 ? "; now served to new connections" : "");
    oe_acme__sched_issued(a, s, &facts);
    oe_acme__job_clear(a);
}
