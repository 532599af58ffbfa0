/*
 * One request to the ACME server at a time, on the main loop (RFC 8555 §6): the server's name
 * resolved by an A query to the resolver (no getaddrinfo in a static binary), a nonce from the
 * previous response's Replay-Nonce or from newNonce (§7.2), the POST signed as a JWS (§6.2), a
 * badNonce answer retried with the nonce it carries (§6.5), Retry-After read for polls, and a
 * failed answer turned into its problem document (§6.7). The order flow (acme_flow.c) names the
 * URL and the step that takes the answer (a->next); the fields under "the request in progress"
 * in acme_int.h are this file's (acme.c opens and closes the wait timer, the job's end frees the
 * payload).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "acme/acme_int.h"
#include "acme/acme_json.h"
#include "core/log.h"
#include "core/net.h"

#define MAX_POLLS     60    /* status polls of one authorization or order */
#define MAX_BAD_NONCE 5     /* retries of one request after badNonce */
#define POLL_MS       1000  /* between polls when the server sends no Retry-After */
#define MAX_WAIT_MS   60000 /* the longest Retry-After honoured in a poll */

bool oe_acme__parse_url(const char *url, char *host, size_t hcap, unsigned *port, const char **path)
{
    if (url == NULL || strncmp(url, "https://", 8) != 0)
        return false;
    const char *h = url + 8, *end = h + strcspn(h, "/?#");
    const char *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (close == NULL)
            return false;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close + 1 != end && colon == NULL)
            return false;
        if ((size_t)(close - h - 1) >= hcap)
            return false;
        memcpy(host, h + 1, (size_t)(close - h - 1));
        host[close - h - 1] = '\0';
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        const char *he = colon ? colon : end;
        if (he == h || (size_t)(he - h) >= hcap)
            return false;
        memcpy(host, h, (size_t)(he - h));
        host[he - h] = '\0';
    }
    *port = 443;
    if (colon != NULL) {
        char *e;
        unsigned long p = strtoul(colon + 1, &e, 10);
        if (e != end || p == 0 || p > 65535)
            return false;
        *port = (unsigned)p;
    }
    *path = *end == '/' ? end : "/";
    return *end == '\0' || *end == '/';
}

void oe_acme__problem(oe_slice_t body, char *out, size_t cap)
{
    char type[256] = "", detail[512] = "";
    if (oe_acme_json_check(body) == 0) {
        oe_acme_json_member_string(body, "type", type, sizeof(type));
        oe_acme_json_member_string(body, "detail", detail, sizeof(detail));
    }
    if (type[0] == '\0' && detail[0] == '\0')
        snprintf(out, cap, "no problem document");
    else
        snprintf(out, cap, "%s: %s", type, detail);
    /* The server's text goes to the log and a state file: one line, no control characters. */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

void oe_acme__fail_response(acme_t *a, const char *what, int status, oe_slice_t body)
{
    char p[800];
    if (status < 0) {
        oe_acme__job_fail(a, "%s: %s", what, oe_strerror(status));
        return;
    }
    oe_acme__problem(body, p, sizeof(p));
    if (strncmp(p, "urn:ietf:params:acme:error:accountDoesNotExist:", 47) == 0 && a->kid != NULL) {
        /* The server forgot the account (RFC 8555 §7.3.1): register anew at the next attempt. */
        oe_acme__account_forget(a);
        oe_log_warn(TAG, "the ACME server no longer knows the account; registering again");
    }
    oe_acme__job_fail(a, "%s: HTTP %d, %s", what, status, p);
}

static void send_request(acme_t *a);

static oe_slice_t header(const oe_header_t *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (oe_slice_eq(h[i].name, OE_SLICE_STR(name)))
            return h[i].value;
    return OE_SLICE(NULL, 0);
}

void oe_acme__copy_header(const oe_header_t *h, size_t n, const char *name, char *out, size_t cap)
{
    oe_slice_t v = header(h, n, name);
    if (v.base == NULL || v.len >= cap) {
        out[0] = '\0';
        return;
    }
    memcpy(out, v.base, v.len);
    out[v.len] = '\0';
}

static void on_response(void *data, int status, const oe_header_t *h, size_t n, oe_slice_t body)
{
    acme_t *a = data;
    a->call = NULL;
    bool nonce_only = a->fetching_nonce;
    a->fetching_nonce = false;
    if (status > 0) {
        char nonce[sizeof(a->nonce)];
        oe_acme__copy_header(h, n, "replay-nonce", nonce, sizeof(nonce));
        if (nonce[0] != '\0')
            memcpy(a->nonce, nonce, sizeof(nonce));
        oe_slice_t ra = header(h, n, "retry-after");
        a->retry_after_ms = 0;
        if (ra.base != NULL && ra.len > 0 && ra.len < 10) {
            uint64_t v = 0;
            size_t i;
            for (i = 0; i < ra.len && ra.base[i] >= '0' && ra.base[i] <= '9'; i++)
                v = v * 10 + (ra.base[i] - '0');
            if (i == ra.len)
                a->retry_after_ms = v * 1000;
        }
    }
    if (nonce_only) {
        if (status > 0 && a->nonce[0] != '\0')
            send_request(a);
        else
            oe_acme__fail_response(a, "newNonce gave no Replay-Nonce", status, body);
        return;
    }
    /* RFC 8555 §6.5: a badNonce answer carries a fresh nonce; the request is retried with it. */
    if (status == 400 && a->post && a->bad_nonces < MAX_BAD_NONCE) {
        char type[128] = "";
        if (oe_acme_json_check(body) == 0)
            oe_acme_json_member_string(body, "type", type, sizeof(type));
        if (strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0) {
            a->bad_nonces++;
            oe_log_debug(TAG, "badNonce; retrying with the new nonce");
            send_request(a);
            return;
        }
    }
    a->next(a, status, h, n, body);
}

static void on_resolved(void *data, int status, const struct sockaddr_in *addr)
{
    acme_t *a = data;
    a->lookup_q = NULL;
    if (status != 0) {
        oe_acme__job_fail(a, "cannot resolve %s: %s", a->host, oe_strerror(status));
        return;
    }
    memcpy(&a->addr, addr, sizeof(*addr));
    oe_sockaddr_set_port((struct sockaddr *)&a->addr, (uint16_t)a->port);
    a->have_addr = true;
    send_request(a);
}

/* An address literal, or localhost (RFC 6761 §6.3: never sent to a resolver). */
static bool literal_addr(const char *host, unsigned port, struct sockaddr_storage *out)
{
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    return oe_sockaddr_from_ip(host, (uint16_t)port, out);
}

/* Sends the request described by a->url, a->post, a->payload; then a->next. */
static void send_request(acme_t *a)
{
    char host[256];
    unsigned port;
    const char *path;
    if (!oe_acme__parse_url(a->url, host, sizeof(host), &port, &path)) {
        oe_acme__job_fail(a, "the server gave a URL that is not https://: %.200s", a->url);
        return;
    }
    if (!a->have_addr || strcmp(host, a->host) != 0 || port != a->port) {
        snprintf(a->host, sizeof(a->host), "%s", host);
        a->port = port;
        a->have_addr = literal_addr(host, port, &a->addr);
        if (!a->have_addr) {
            /* No getaddrinfo in a static binary: an A query to the resolver. */
            int err = 0;
            if (a->dns == NULL) {
                oe_acme__job_fail(
                    a,
                    "cannot resolve %s: no resolver (set resolver, or a nameserver in "
                    "/etc/resolv.conf)",
                    host);
                return;
            }
            a->lookup = (oe_upstream_lookup_t){.cb = on_resolved, .data = a};
            a->lookup_q = oe_upstream_lookup(a->dns, host, &a->lookup, &err);
            if (a->lookup_q == NULL)
                oe_acme__job_fail(a, "cannot resolve %s: %s", host, oe_strerror(err));
            return;
        }
    }
    oe_buf_t *body = &a->sent;
    body->len = 0;
    if (a->post) {
        if (a->nonce[0] == '\0') {
            /* No nonce yet (§7.2): fetch one from newNonce, then come back here. */
            char nh[256];
            unsigned nport;
            const char *np;
            if (!oe_acme__parse_url(a->new_nonce, nh, sizeof(nh), &nport, &np) ||
                strcmp(nh, host) != 0 || nport != port) {
                oe_acme__job_fail(a, "newNonce is not on the server of the request");
                return;
            }
            oe_http_request_t r = {.host = host,
                                   .addr = (const struct sockaddr *)&a->addr,
                                   .method = "GET",
                                   .path = np};
            a->fetching_nonce = true;
            a->call = oe_http_client_request(a->client, &r, on_response, a);
            return;
        }
        const char *kid = a->kid;
        int rc = oe_acme_jws(body, &a->key, kid, a->nonce, a->url,
                             a->payload ? OE_SLICE_STR(a->payload) : OE_SLICE(NULL, 0));
        a->nonce[0] = '\0'; /* used */
        if (rc != OE_OK) {
            oe_acme__job_fail(a, "cannot sign the request");
            return;
        }
    }
    oe_header_t hdrs[3];
    size_t nh = 0;
    hdrs[nh++] = (oe_header_t){OE_SLICE_STR("user-agent"), OE_SLICE_STR("odoh-edge/" OE_VERSION)};
    if (a->post)
        hdrs[nh++] =
            (oe_header_t){OE_SLICE_STR("content-type"), OE_SLICE_STR("application/jose+json")};
    if (a->pem)
        hdrs[nh++] = (oe_header_t){OE_SLICE_STR("accept"),
                                   OE_SLICE_STR("application/pem-certificate-chain")};
    oe_http_request_t r = {.host = host,
                           .addr = (const struct sockaddr *)&a->addr,
                           .method = a->post ? "POST" : "GET",
                           .path = path,
                           .headers = hdrs,
                           .nheaders = nh,
                           .body = OE_SLICE(body->base, body->len)};
    a->call = oe_http_client_request(a->client, &r, on_response, a);
}

static void start_request(acme_t *a, const char *url, bool post, const char *payload, bool pem,
                          step_fn next)
{
    snprintf(a->url, sizeof(a->url), "%s", url);
    free(a->payload);
    a->payload = payload ? oe_strdup(payload) : NULL;
    a->post = post;
    a->pem = pem;
    a->bad_nonces = 0;
    a->next = next;
    send_request(a);
}

void oe_acme__request(acme_t *a, const char *url, bool post, const char *payload, step_fn next)
{
    start_request(a, url, post, payload, false, next);
}

void oe_acme__request_pem(acme_t *a, const char *url, step_fn next)
{
    start_request(a, url, true, NULL, true, next);
}

static void on_wait(uv_timer_t *t)
{
    acme_t *a = t->data;
    send_request(a); /* the same request again (a poll) */
}

void oe_acme__poll_again(acme_t *a, const char *what)
{
    if (++a->polls > MAX_POLLS) {
        oe_acme__job_fail(a, "%s: still not done after %d polls", what, MAX_POLLS);
        return;
    }
    uint64_t ms = a->retry_after_ms ? OE_MIN(a->retry_after_ms, MAX_WAIT_MS) : POLL_MS;
    a->bad_nonces = 0;
    uv_timer_start(&a->wait, on_wait, ms, 0);
}

void oe_acme__poll_url(acme_t *a, const char *url, step_fn next, const char *what)
{
    snprintf(a->url, sizeof(a->url), "%s", url);
    free(a->payload);
    a->payload = NULL; /* POST-as-GET */
    a->next = next;
    oe_acme__poll_again(a, what);
}

bool oe_acme__json_ok(acme_t *a, const char *what, int status, int want, oe_slice_t body)
{
    if (status != want && !(want == 200 && status == 201)) {
        oe_acme__fail_response(a, what, status, body);
        return false;
    }
    if (oe_acme_json_check(body) != 0) {
        oe_acme__job_fail(a, "%s: the answer is not JSON", what);
        return false;
    }
    return true;
}
