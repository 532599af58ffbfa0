/*
 * When each site's certificate is ordered: at the first check without one; at expiry minus
 * renew-before (default a third of the lifetime), or at the point the server's ACME Renewal
 * Information (RFC 9773) picks; at once after `odoh-edge acme renew`; after a failure, not before
 * a back-off that doubles from retry-min up to an hour. The check timer (check-interval) starts
 * one job at a time (acme_flow.c runs it); a job either orders a certificate or only asks
 * renewalInfo. This file owns the acme_site_t schedule fields (renew_at, retry_at, backoff_ms,
 * asked, cert_id, ari_at, ari_job).
 */
#include <stdio.h>
#include <time.h>

#include "acme/acme_int.h"
#include "acme/acme_json.h"
#include "core/fs.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"

#define BACKOFF_MAX_MS (3600 * 1000ULL)
#define ARI_DEFAULT_S  (6 * 3600) /* between renewalInfo looks without Retry-After (§4.3) */
#define ARI_MIN_S      1
#define ARI_MAX_S      (24 * 3600)

int64_t oe_acme__renew_at(const acme_conf_t *c, int64_t not_before, int64_t not_after)
{
    int64_t before =
        c->renew_before ? (int64_t)(c->renew_before / 1000) : (not_after - not_before) / 3;
    return not_after - before;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

void oe_acme__fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* RFC 9773 §4.1: base64url(keyIdentifier of the AKI) "." base64url(serial's DER content). */
static void cert_id(const oe_tls_cert_facts_t *f, char *out, size_t cap)
{
    char aki[OE_BASE64URL_LEN(sizeof(f->aki)) + 1], serial[OE_BASE64URL_LEN(sizeof(f->serial)) + 1];
    out[0] = '\0';
    if (f->aki_len == 0 || f->serial_len == 0)
        return;
    oe_base64url_encode(aki, sizeof(aki), f->aki, f->aki_len);
    oe_base64url_encode(serial, sizeof(serial), f->serial, f->serial_len);
    snprintf(out, cap, "%s.%s", aki, serial);
}

void oe_acme__site_load(acme_t *a, acme_site_t *s)
{
    char cert[4096], key[4096];
    oe_http_acme_paths(s->site, a->state_dir, cert, key, sizeof(cert));
    s->renew_at = 0;
    oe_buf_t b = {0};
    if (!oe_file_read_all(cert, &b))
        return;
    oe_tls_cert_facts_t facts;
    if (oe_tls_cert_facts(b.base, b.len, &facts) == OE_OK) {
        s->renew_at = oe_acme__renew_at(a->conf, facts.not_before, facts.not_after);
        cert_id(&facts, s->cert_id, sizeof(s->cert_id));
    }
    oe_buf_free(&b);
}

void oe_acme__check(uv_timer_t *t)
{
    acme_t *a = t->data;
    if (a->job != NULL || a->stopping)
        return;
    uint64_t now = uv_now(a->ctx->loop);
    for (size_t i = 0; i < a->nsites; i++) {
        acme_site_t *s = &a->sites[i];
        if (!s->asked && oe_acme__renew_asked(a, s)) { /* new: at once, whatever the back-off */
            s->asked = true;
            oe_acme__job_start(a, s, "renewal asked for");
            return;
        }
        if (now < s->retry_at)
            continue;
        if (s->asked) {
            oe_acme__job_start(a, s, "renewal asked for, retrying");
            return;
        }
        if (s->renew_at == 0) {
            oe_acme__job_start(a, s, "none yet");
            return;
        }
        if (now_s() >= s->renew_at) {
            oe_acme__job_start(a, s, "renewal due");
            return;
        }
        if (!a->ari_none && s->cert_id[0] != '\0' && now >= s->ari_at) {
            oe_acme__job_start(a, s, NULL); /* a renewalInfo look, no order */
            return;
        }
    }
}

void oe_acme__sched_failed(acme_t *a, acme_site_t *s, const char *msg)
{
    if (s->ari_job) { /* §4.3: without renewalInfo the client keeps its own schedule */
        oe_log_warn(TAG, "[site \"%s\"] renewalInfo: %s; keeping renew-before", s->site->name, msg);
        s->ari_job = false;
        s->ari_at = uv_now(a->ctx->loop) + (uint64_t)ARI_DEFAULT_S * 1000;
        return;
    }
    if (s->backoff_ms == 0)
        s->backoff_ms = a->conf->retry_min;
    s->retry_at = uv_now(a->ctx->loop) + s->backoff_ms;
    oe_log_error(TAG,
                 "[site \"%s\"] certificate order failed: %s; the current certificate stays; "
                 "next attempt in %llus",
                 s->site->name, msg, (unsigned long long)(s->backoff_ms / 1000));
    oe_acme__store_error(a, s, msg);
    s->backoff_ms = OE_MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
}

void oe_acme__sched_issued(acme_t *a, acme_site_t *s, const oe_tls_cert_facts_t *facts)
{
    s->renew_at = oe_acme__renew_at(a->conf, facts->not_before, facts->not_after);
    cert_id(facts, s->cert_id, sizeof(s->cert_id));
    s->ari_at = 0; /* ask renewalInfo about the new certificate at the next check */
    oe_acme__store_ari(a, s, NULL);
    s->backoff_ms = 0;
    s->retry_at = 0;
    if (s->asked)
        oe_acme__renew_done(a, s);
    s->asked = false;
    oe_acme__store_error(a, s, NULL);
}

/* ---- ACME Renewal Information (RFC 9773) ----------------------------------------------------- */

/* An RFC 3339 date-time ("2026-11-30T02:02:12Z", fractions and offsets allowed) as Unix time, or
 * -1. */
int64_t oe_acme__rfc3339(const char *t)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(t, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = t + n;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    return (int64_t)timegm(&tm) - off;
}

int64_t oe_acme__ari_pick(int64_t start, int64_t end, uint32_t random)
{
    /* RFC 9773 §4.2: a uniformly random time within the window. */
    if (end <= start)
        return start;
    return start + (int64_t)(random % (uint64_t)(end - start + 1));
}

static void on_ari(acme_t *a, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    (void)h;
    (void)n;
    acme_site_t *s = a->job;
    oe_slice_t w;
    char start[64], end[64];
    uint64_t retry_s = a->retry_after_ms ? a->retry_after_ms / 1000 : ARI_DEFAULT_S;
    retry_s = OE_MIN(OE_MAX(retry_s, ARI_MIN_S), ARI_MAX_S);
    s->ari_at = uv_now(a->ctx->loop) + retry_s * 1000;
    int64_t ws, we;
    if (status != 200 || oe_acme_json_check(body) != 0 ||
        oe_acme_json_member(body, "suggestedWindow", &w) < 0 ||
        oe_acme_json_member_string(w, "start", start, sizeof(start)) < 0 ||
        oe_acme_json_member_string(w, "end", end, sizeof(end)) < 0 ||
        (ws = oe_acme__rfc3339(start)) < 0 || (we = oe_acme__rfc3339(end)) < ws) {
        /* §4.3: a client keeps its own schedule when renewalInfo fails. */
        char p[800];
        oe_acme__problem(body, p, sizeof(p));
        oe_log_warn(TAG, "[site \"%s\"] renewalInfo: HTTP %d, %s; keeping renew-before",
                    s->site->name, status, status == 200 ? "no usable suggestedWindow" : p);
        s->ari_job = false;
        oe_acme__job_clear(a);
        return;
    }
    uint32_t r = 0;
    oe_crypto_random(NULL, (unsigned char *)&r, sizeof(r));
    int64_t at = oe_acme__ari_pick(ws, we, r);
    if (at != s->renew_at) {
        char text[200];
        snprintf(text, sizeof(text), "%lld %lld %lld\n", (long long)at, (long long)ws,
                 (long long)we);
        oe_acme__store_ari(a, s, text);
        oe_log_info(TAG, "[site \"%s\"] renewalInfo: window %s .. %s; renewing at %lld",
                    s->site->name, start, end, (long long)at);
    }
    s->renew_at = at;
    s->ari_job = false;
    oe_acme__job_clear(a);
}

void oe_acme__step_ari(acme_t *a)
{
    acme_site_t *s = a->job;
    if (a->renewal_info[0] == '\0' || s->cert_id[0] == '\0') {
        s->ari_job = false;
        s->ari_at = UINT64_MAX; /* nothing to ask: renew-before alone */
        oe_acme__job_clear(a);
        return;
    }
    char url[URL_MAX + 256];
    snprintf(url, sizeof(url), "%s%s%s", a->renewal_info,
             a->renewal_info[strlen(a->renewal_info) - 1] == '/' ? "" : "/", s->cert_id);
    if (strlen(url) >= URL_MAX) {
        s->ari_job = false;
        s->ari_at = UINT64_MAX;
        oe_acme__job_clear(a);
        return;
    }
    oe_acme__request(a, url, false, NULL, on_ari); /* §4.1: an unauthenticated GET */
}
