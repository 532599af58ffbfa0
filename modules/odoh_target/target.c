/*
 * The ODoH target and DoH endpoint (see target.h). Status mapping (RFC 9230 §4.3, §7; RFC 8484):
 *   unknown key_id 401 (clients re-fetch configs only on 401), undecryptable or malformed 400,
 *   GET for ODoH 405, other media type 415, upstream failure 502, upstream time-out 504;
 *   DNS-level errors (NXDOMAIN, SERVFAIL) are 200 with the (sealed) answer.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/core.h"
#include "core/log.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "dns/upstream.h"
#include "http/http.h"
#include "odoh_target/target.h"
#include "core/fs.h"
#include "core/uri.h"
#include "crypto/encode.h"

#define TAG        "odoh-target"
#define MEDIA_ODOH "application/oblivious-dns-message"
#define MEDIA_DNS  "application/dns-message"

/* One local-data record as the answer needs it, its bytes in the config arena (exact sizes:
 * 50,000 records must not cost 50,000 full-size parse buffers). */
typedef struct local_rr {
    const uint8_t *owner; /* uncompressed wire form, as written */
    const uint8_t *rdata;
    uint32_t ttl, order; /* order: position among the local-data lines */
    uint16_t owner_len, type, rclass, rdlen;
} local_rr_t;

typedef struct target_conf {
    const char *site_name;
    const char *path;
    bool odoh, doh, doh_get;
    oe_addrlist_t upstreams;
    uint64_t upstream_timeout;
    long long upstream_attempts;
    oe_linelist_t local_data;
    long long padding;
    uint64_t configs_max_age; /* ms */
    /* filled by conf_check */
    local_rr_t *records; /* sorted by owner (case-insensitive), then by position in the file */
    size_t nrecords;
} target_conf_t;

struct oe_odoh_target {
    const target_conf_t *conf;
    const oe_site_t *site;
    pthread_mutex_t lock;
    oe_odoh_keyset_t *keys;
    int hook;
};

/* ---- key sets ------------------------------------------------------------------------------ */

oe_odoh_keyset_t *oe_odoh_keyset_new(const oe_odoh_key_t *keys, size_t n, size_t npub,
                                     uint64_t max_age)
{
    oe_odoh_keyset_t *ks = oe_calloc(1, sizeof(*ks));
    atomic_init(&ks->refs, 1);
    ks->n = n;
    ks->keys = oe_calloc(n ? n : 1, sizeof(*ks->keys));
    memcpy(ks->keys, keys, n * sizeof(*keys));
    ks->max_age = max_age;
    oe_odoh_config_t *cfgs = oe_calloc(npub ? npub : 1, sizeof(*cfgs));
    for (size_t i = 0; i < npub && i < n; i++)
        cfgs[i] = keys[i].config;
    size_t cap = 2 + OE_MAX(npub, (size_t)1) * (OE_ODOH_CONFIG_LEN + 64);
    ks->configs = oe_malloc(cap);
    int len = npub > 0 ? oe_odoh_configs_encode(ks->configs, cap, cfgs, npub) : 0;
    ks->configs_len = len > 0 ? (size_t)len : 0;
    free(cfgs);
    return ks;
}

oe_odoh_keyset_t *oe_odoh_keyset_ref(oe_odoh_keyset_t *ks)
{
    atomic_fetch_add(&ks->refs, 1);
    return ks;
}

void oe_odoh_keyset_unref(oe_odoh_keyset_t *ks)
{
    if (ks == NULL || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ks->n; i++)
        oe_odoh_key_wipe(&ks->keys[i]);
    free(ks->keys);
    free(ks->configs);
    free(ks->https);
    free(ks);
}

void oe_odoh_target_set_keys(oe_odoh_target_t *t, oe_odoh_keyset_t *ks)
{
    pthread_mutex_lock(&t->lock);
    oe_odoh_keyset_t *old = t->keys;
    t->keys = ks;
    pthread_mutex_unlock(&t->lock);
    oe_odoh_keyset_unref(old);
}

const char *oe_odoh_target_host(const oe_odoh_target_t *t)
{
    return t->site->hosts.v[0];
}

const char *oe_odoh_target_path(const oe_odoh_target_t *t)
{
    return t->conf->path;
}

uint64_t oe_odoh_target_max_age(const oe_odoh_target_t *t)
{
    return t->conf->configs_max_age / 1000;
}

static oe_odoh_keyset_t *get_keys(oe_odoh_target_t *t)
{
    pthread_mutex_lock(&t->lock);
    oe_odoh_keyset_t *ks = t->keys ? oe_odoh_keyset_ref(t->keys) : NULL;
    pthread_mutex_unlock(&t->lock);
    return ks;
}

/* ---- the first-start key ------------------------------------------------------------------ */

/* STATE/odoh/target.seed: 32 random bytes as one line of 64 hex digits, mode 0600, written
 * atomically. */
static int load_or_create_seed(const char *state_dir, uint8_t seed[32])
{
    char dir[4096], path[4200], hex[64 + 2];
    snprintf(dir, sizeof(dir), "%s/odoh", state_dir);
    snprintf(path, sizeof(path), "%s/target.seed", dir);
    int rc = oe_mkdir_p(dir, 0700);
    if (rc < 0)
        return rc;
    rc = oe_file_read_key_line(path, hex, 64);
    if (rc != -ENOENT) {
        if (rc == 0 && oe_hex_decode(seed, 32, hex, 64) != 32)
            rc = OE_EFORMAT;
        oe_wipe(hex, sizeof(hex));
        if (rc == -EPERM)
            oe_log_error(TAG, "%s is readable by group or others; run chmod 600 %s", path, path);
        else if (rc == OE_EFORMAT)
            oe_log_error(TAG, "%s is not a 64-digit hex seed", path);
        else if (rc < 0)
            oe_log_error(TAG, "%s: %s", path, oe_strerror(rc));
        if (rc < 0)
            oe_wipe(seed, 32);
        return rc;
    }
    if (oe_crypto_random(NULL, seed, 32) != 0)
        return OE_ECRYPTO;
    oe_hex_encode(hex, seed, 32);
    rc = oe_file_write_atomic(path, hex, 64, 0600);
    oe_wipe(hex, sizeof(hex));
    if (rc == 0)
        oe_log_info(TAG, "generated a new target key in %s", path);
    return rc;
}

/* ---- requests ------------------------------------------------------------------------------- */

typedef struct job {
    oe_req_t *req;
    oe_odoh_target_t *t;
    bool odoh;
    oe_odoh_txn_t txn;
    oe_upstream_query_t *uq;
    /* In-process queries (oe_odoh_target_resolve): the answer goes to done, not to req. */
    oe_odoh_target_done_fn done;
    void *done_arg;
} job_t;

static void job_free(job_t *j)
{
    oe_odoh_txn_wipe(&j->txn);
    free(j);
}

/* odoh: counted as an ODoH query (else DoH). */
static void reply_error(oe_req_t *req, bool odoh, int status)
{
    oe_stat_target_result(odoh, status);
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    oe_resp_error(req, status);
}

/* Ends the job with an HTTP error status (to done for an in-process query, counted as DoH as
 * its answers are). */
static void job_fail(job_t *j, int status)
{
    if (j->done != NULL) {
        oe_stat_target_result(false, status);
        j->done(j->done_arg, status, OE_SLICE(NULL, 0));
    } else {
        reply_error(j->req, j->odoh, status);
    }
    job_free(j);
}

/* Sends the DNS answer, sealed for ODoH, and ends the job. */
static void reply(job_t *j, oe_slice_t dns)
{
    oe_req_t *req = j->req;
    if (j->done != NULL) {
        oe_stat_target_result(false, 200);
        j->done(j->done_arg, 200, dns);
        job_free(j);
        return;
    }
    oe_stat_target_result(j->odoh, 200);
    oe_resp_header(req, "cache-control", "no-cache, no-store");
    if (!j->odoh) {
        oe_resp_header(req, "content-type", MEDIA_DNS);
        oe_resp_send(req, 200, dns.base, dns.len);
        job_free(j);
        return;
    }
    /* An answer too large to seal (RFC 9230 §6.1: a 16-bit length) is truncated as DNS does
     * over UDP: header and question with TC=1, so the client retries over another transport. */
    uint8_t tc[512];
    if (dns.len > OE_ODOH_PLAINTEXT_DNS_MAX) {
        oe_dns_msg_t m;
        oe_dns_writer_t w;
        size_t len;
        if (oe_dns_msg_parse(&m, dns) < 0) {
            reply_error(req, j->odoh, 502);
            job_free(j);
            return;
        }
        oe_dns_writer_init_response(&w, tc, sizeof(tc), &m, m.hdr.flags | OE_DNS_F_TC,
                                    (uint16_t)(m.hdr.flags & 0xf));
        if (oe_dns_writer_finish(&w, &len) < 0) {
            reply_error(req, j->odoh, 502);
            job_free(j);
            return;
        }
        dns = OE_SLICE(tc, len);
    }
    size_t pad = oe_odoh_pad_len(dns.len, (size_t)j->t->conf->padding);
    size_t cap = dns.len + pad + 64 + OE_ODOH_RESPONSE_NONCE_MAX;
    uint8_t *out = malloc(cap);
    int n = out ? oe_odoh_response_seal(out, cap, &j->txn, dns, pad, oe_crypto_random, NULL)
                : OE_ENOMEM;
    if (n < 0) {
        oe_log_warn(TAG, "sealing an answer failed: %s", oe_strerror(n));
        reply_error(req, j->odoh, 500);
    } else {
        oe_resp_header(req, "content-type", MEDIA_ODOH);
        oe_resp_send(req, 200, out, (size_t)n);
    }
    free(out);
    job_free(j);
}

/* Finishes an answer built here (local data, own record, REFUSED) and sends it. */
static void reply_built(job_t *j, oe_dns_writer_t *w, uint8_t *buf)
{
    size_t len;
    if (oe_dns_writer_finish(w, &len) < 0) {
        job_fail(j, 500);
        return;
    }
    reply(j, OE_SLICE(buf, len));
}

static void on_answer(void *data, int status, oe_slice_t answer)
{
    job_t *j = data;
    j->uq = NULL;
    j->req->on_abort = NULL;
    if (status == 0) {
        reply(j, answer);
        return;
    }
    job_fail(j, status == OE_UPSTREAM_ETIMEOUT ? 504 : status == OE_UPSTREAM_EBUSY ? 503 : 502);
}

static void on_abort(oe_req_t *req)
{
    job_t *j = req->data;
    if (j->uq != NULL)
        oe_upstream_cancel(j->uq);
    if (j->done != NULL)
        j->done(j->done_arg, 0, OE_SLICE(NULL, 0));
    job_free(j);
}

/* ASCII case-insensitive order of two uncompressed wire names (RFC 4343); label lengths are
 * below 64, so folding them is harmless. Any total order serves the binary search. */
static int owner_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    for (size_t i = 0; i < alen && i < blen; i++) {
        uint8_t x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
        uint8_t y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen;
}

static int local_rr_cmp(const void *pa, const void *pb)
{
    const local_rr_t *a = pa, *b = pb;
    int c = owner_cmp(a->owner, a->owner_len, b->owner, b->owner_len);
    return c != 0 ? c : a->order < b->order ? -1 : a->order > b->order;
}

/* The records owned by the uncompressed name (binary search in the sorted index): sets *first and
 * returns how many there are, in file order. */
static size_t local_find(const target_conf_t *c, const uint8_t *name, size_t len, size_t *first)
{
    size_t lo = 0, hi = c->nrecords;
    while (lo < hi) { /* the first record whose owner is not before name */
        size_t mid = lo + (hi - lo) / 2;
        if (owner_cmp(c->records[mid].owner, c->records[mid].owner_len, name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < c->nrecords &&
           owner_cmp(c->records[end].owner, c->records[end].owner_len, name, len) == 0)
        end++;
    *first = lo;
    return end - lo;
}

/* local-data: records whose owner is the question's name answer it (NODATA when none has its
 * type); returns false when no record owns the name. */
static bool answer_locally(job_t *j, const oe_dns_msg_t *q, const oe_dns_rr_t *question)
{
    const target_conf_t *c = j->t->conf;
    uint8_t name[OE_DNS_NAME_MAX];
    int len = c->nrecords > 0 ? oe_dns_name_unpack(question->name, name) : -1;
    size_t first, n = len > 0 ? local_find(c, name, (size_t)len, &first) : 0;
    if (n == 0)
        return false;
    uint8_t buf[4096];
    oe_dns_writer_t w;
    oe_dns_writer_init_response(&w, buf, sizeof(buf), q, OE_DNS_F_AA | OE_DNS_F_RA, 0);
    for (size_t i = first; i < first + n; i++) {
        const local_rr_t *r = &c->records[i];
        if (r->type != question->type)
            continue;
        oe_dns_rr_t rr = {.name = oe_dns_name_wire(r->owner, r->owner_len),
                          .type = r->type,
                          .rclass = r->rclass,
                          .ttl = r->ttl,
                          .rdata = OE_SLICE(r->rdata, r->rdlen),
                          .msg = OE_SLICE(r->rdata, r->rdlen),
                          .section = OE_DNS_SEC_ANSWER};
        oe_dns_write_rr_copy(&w, OE_DNS_SEC_ANSWER, &rr);
    }
    reply_built(j, &w, buf);
    return true;
}

/* The target's own HTTPS record, from the key set in force (issue: publication). */
static bool answer_https(job_t *j, const oe_dns_msg_t *q, const oe_dns_rr_t *question)
{
    if (question->type != OE_DNS_T_HTTPS)
        return false;
    oe_odoh_keyset_t *ks = get_keys(j->t);
    if (ks == NULL || ks->https_len == 0 ||
        !oe_dns_name_eq(oe_dns_name_wire(ks->owner, ks->owner_len), question->name)) {
        oe_odoh_keyset_unref(ks);
        return false;
    }
    uint8_t buf[4096];
    oe_dns_writer_t w;
    oe_dns_writer_init_response(&w, buf, sizeof(buf), q, OE_DNS_F_AA | OE_DNS_F_RA, 0);
    oe_dns_rr_t rr = {.name = oe_dns_name_wire(ks->owner, ks->owner_len),
                      .type = OE_DNS_T_HTTPS,
                      .rclass = 1,
                      .ttl = ks->https_ttl,
                      .rdata = OE_SLICE(ks->https, ks->https_len),
                      .msg = OE_SLICE(ks->https, ks->https_len),
                      .section = OE_DNS_SEC_ANSWER};
    oe_dns_write_rr_copy(&w, OE_DNS_SEC_ANSWER, &rr);
    oe_odoh_keyset_unref(ks); /* the record is copied into buf */
    reply_built(j, &w, buf);
    return true;
}

/* Answers locally with rcode and no records: REFUSED when there is nowhere to ask (no upstream
 * configured), NOTIMP for an opcode other than QUERY. */
static void refuse(job_t *j, const oe_dns_msg_t *q, uint16_t rcode)
{
    uint8_t buf[1024];
    oe_dns_writer_t w;
    oe_dns_writer_init_response(&w, buf, sizeof(buf), q, OE_DNS_F_RA, rcode);
    reply_built(j, &w, buf);
}

static void resolve(job_t *j, oe_slice_t dns)
{
    oe_dns_msg_t q;
    oe_dns_rr_t question;
    if (oe_dns_msg_parse(&q, dns) < 0 || q.hdr.count[0] != 1 || (q.hdr.flags & OE_DNS_F_QR) ||
        oe_dns_msg_question(&q, &question) < 0) {
        job_fail(j, 400);
        return;
    }
    /* Only QUERY goes upstream: UPDATE, NOTIFY, IQUERY and the rest would let any public client
     * act on an upstream that trusts us (RFC 1035 §4.1.1, RFC 6895 §2.2). */
    if (OE_DNS_OPCODE(q.hdr.flags) != 0) {
        refuse(j, &q, 4); /* NOTIMP */
        return;
    }
    if (answer_https(j, &q, &question) || answer_locally(j, &q, &question))
        return;
    oe_upstream_t *up = oe_req_worker_state(j->req, j->t->hook);
    if (up == NULL || j->t->conf->upstreams.n == 0) {
        refuse(j, &q, 5); /* REFUSED */
        return;
    }
    int err = 0;
    j->req->data = j;
    j->req->on_abort = on_abort;
    j->uq = oe_upstream_query(up, dns, on_answer, j, &err);
    if (j->uq == NULL) {
        j->req->on_abort = NULL;
        job_fail(j, err == OE_UPSTREAM_EBUSY ? 503 : 400);
    }
}

void oe_odoh_target_resolve(oe_odoh_target_t *t, oe_req_t *req, oe_slice_t dns,
                            oe_odoh_target_done_fn done, void *arg)
{
    job_t *j = oe_calloc(1, sizeof(*j));
    j->req = req;
    j->t = t;
    j->done = done;
    j->done_arg = arg;
    resolve(j, dns);
}

bool oe_odoh_target_is_endpoint(const oe_odoh_target_t *t, oe_slice_t host, oe_slice_t path)
{
    if (!oe_slice_eq(path, OE_SLICE_STR(t->conf->path)))
        return false;
    for (size_t i = 0; i < t->site->hosts.n; i++)
        if (oe_slice_eq_nocase(host, OE_SLICE_STR(t->site->hosts.v[i])))
            return true;
    return false;
}

static void handle_query(oe_req_t *req, void *data)
{
    oe_odoh_target_t *t = data;
    const target_conf_t *c = t->conf;
    oe_slice_t ctype = oe_req_header(req, "content-type");
    job_t *j = oe_calloc(1, sizeof(*j));
    j->req = req;
    j->t = t;
    /* Counted as ODoH when the request names the ODoH media type, else as DoH. */
    bool kind_odoh = oe_http_media_is(ctype, MEDIA_ODOH);

    if (oe_req_method_is(req, "GET") || oe_req_method_is(req, "HEAD")) {
        oe_slice_t dns = oe_uri_query_param(req->query, "dns");
        bool for_odoh = oe_http_media_is(oe_req_header(req, "accept"), MEDIA_ODOH) ||
                        oe_http_media_is(ctype, MEDIA_ODOH);
        if (for_odoh || !c->doh_get || dns.base == NULL) {
            oe_resp_header(req, "allow", c->doh_get && !for_odoh ? "GET, POST" : "POST");
            reply_error(req, for_odoh, dns.base == NULL && c->doh_get && !for_odoh ? 400 : 405);
            job_free(j);
            return;
        }
        uint8_t msg[4096];
        /* RFC 8484 §4.1: base64url without padding; too long, malformed or short is 400 */
        int n = oe_base64url_decode(msg, sizeof(msg), (const char *)dns.base, dns.len);
        if (n < 12) {
            reply_error(req, kind_odoh, 400);
            job_free(j);
            return;
        }
        resolve(j, OE_SLICE(msg, (size_t)n));
        return;
    }
    if (oe_http_media_is(ctype, MEDIA_ODOH) && c->odoh) {
        j->odoh = true;
        if (req->body.len == 0) {
            reply_error(req, kind_odoh, 400);
            job_free(j);
            return;
        }
        oe_odoh_keyset_t *ks = get_keys(t);
        uint8_t *plain = malloc(req->body.len);
        oe_slice_t dns;
        int rc = ks && plain ? oe_odoh_query_open(ks->keys, ks->n, req->body.base, req->body.len,
                                                  plain, req->body.len, &dns, &j->txn)
                             : OE_EKEYID;
        oe_odoh_keyset_unref(ks);
        if (rc < 0) {
            if (rc != OE_EKEYID)
                oe_stat_inc(OE_STAT_HPKE_OPEN_FAILED);
            reply_error(req, kind_odoh, rc == OE_EKEYID ? 401 : 400);
            free(plain);
            job_free(j);
            return;
        }
        resolve(j, dns);
        oe_wipe(plain, req->body.len);
        free(plain);
        return;
    }
    if (oe_http_media_is(ctype, MEDIA_DNS) && c->doh) {
        resolve(j, req->body);
        return;
    }
    reply_error(req, kind_odoh, 415);
    job_free(j);
}

static void handle_configs(oe_req_t *req, void *data)
{
    oe_odoh_keyset_t *ks = get_keys(data);
    if (ks == NULL || ks->configs_len == 0) {
        oe_resp_error(req, 503);
        oe_odoh_keyset_unref(ks);
        return;
    }
    oe_resp_headerf(req, "cache-control", "max-age=%llu", (unsigned long long)ks->max_age);
    oe_resp_header(req, "content-type", "application/octet-stream");
    oe_resp_send(req, 200, ks->configs, ks->configs_len);
    oe_odoh_keyset_unref(ks);
}

/* ---- worker state: one upstream client per worker loop ----------------------------------------
 */

static void *worker_start(struct uv_loop_s *loop, void *data)
{
    oe_odoh_target_t *t = data;
    oe_upstream_conf_t uc = {.servers = t->conf->upstreams.v,
                             .nservers = t->conf->upstreams.n,
                             .timeout_ms = t->conf->upstream_timeout,
                             .attempts = (unsigned)t->conf->upstream_attempts};
    return oe_upstream_new(loop, &uc);
}

static void worker_stop(void *state, void *data)
{
    oe_upstream_close(state);
}

/* ---- configuration ----------------------------------------------------------------------------
 */

static const oe_conf_range_t attempts_range = {1, 10, false};
static const oe_conf_range_t timeout_range = {50, 60000, false};
static const oe_conf_range_t padding_range = {0, 4096, false};
static const oe_conf_range_t max_age_range = {0, 7 * 86400 * 1000LL, false};

#define T(f) offsetof(target_conf_t, f)
static const oe_directive_t directives[] = {
    {"site", oe_conf_set_string, T(site_name), NULL, 0,
     "the [site] whose host names serve the target"},
    {"path", oe_conf_set_string, T(path), NULL, 0, "endpoint path (default /dns-query)"},
    {"odoh", oe_conf_set_bool, T(odoh), NULL, 0, "accept Oblivious DoH queries (default yes)"},
    {"doh", oe_conf_set_bool, T(doh), NULL, 0, "accept plain DoH POST (default yes)"},
    {"doh-get", oe_conf_set_bool, T(doh_get), NULL, 0, "accept plain DoH GET ?dns= (default yes)"},
    {"upstream", oe_conf_set_addrlist, T(upstreams), NULL, OE_CONF_LIST,
     "resolver IP:port (repeatable); without one, names outside local-data get REFUSED"},
    {"upstream-timeout", oe_conf_set_duration, T(upstream_timeout), &timeout_range, 0,
     "time-out of one attempt (default 1500ms)"},
    {"upstream-attempts", oe_conf_set_int, T(upstream_attempts), &attempts_range, 0,
     "attempts in all, across upstreams (default 3)"},
    {"local-data", oe_conf_set_linelist, T(local_data), NULL, OE_CONF_LIST,
     "a record answered locally, e.g. \"demo.odoh.test. 300 IN A 127.0.0.1\""},
    {"padding", oe_conf_set_int, T(padding), &padding_range, 0,
     "pad sealed answers to a multiple of this many bytes (default 468, RFC 8467)"},
    {"configs-max-age", oe_conf_set_duration, T(configs_max_age), &max_age_range, 0,
     "Cache-Control max-age of /.well-known/odohconfigs (default 1h)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef T

static void conf_init(void *conf)
{
    target_conf_t *c = conf;
    c->path = "/dns-query";
    c->odoh = c->doh = c->doh_get = true;
    c->upstream_timeout = 1500;
    c->upstream_attempts = 3;
    c->padding = OE_ODOH_PAD_RESPONSE_BLOCK;
    c->configs_max_age = 3600 * 1000;
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    target_conf_t *c = conf;
    int rc = 0;
    if (c->site_name == NULL) {
        oe_conf_error_key(cf, sec, NULL, "needs \"site = NAME\" (a [site] serving the target)");
        rc = OE_ECONFIG;
    }
    if (c->path[0] != '/') {
        oe_conf_error_key(cf, sec, "path", "must start with '/'");
        rc = OE_ECONFIG;
    }
    /* local-data: parsed once into exact-size records, then indexed by owner. */
    c->nrecords = c->local_data.values.n;
    c->records = oe_conf_alloc(cf, (c->nrecords ? c->nrecords : 1) * sizeof(*c->records));
    oe_dns_rr_text_t *t = oe_malloc(sizeof(*t));
    for (size_t i = 0; i < c->nrecords; i++) {
        char err[200];
        if (oe_dns_rr_from_text(c->local_data.values.v[i], t, err, sizeof(err)) < 0) {
            oe_conf_error_line(cf, sec, "local-data", c->local_data.lines[i], "%s", err);
            rc = OE_ECONFIG;
            continue;
        }
        local_rr_t *r = &c->records[i];
        uint8_t *owner = oe_conf_alloc(cf, t->owner_len), *rdata = oe_conf_alloc(cf, t->rdlen);
        memcpy(owner, t->owner, t->owner_len);
        memcpy(rdata, t->rdata, t->rdlen);
        *r = (local_rr_t){.owner = owner,
                          .rdata = rdata,
                          .ttl = t->ttl,
                          .order = (uint32_t)i,
                          .owner_len = (uint16_t)t->owner_len,
                          .type = t->type,
                          .rclass = t->rclass,
                          .rdlen = (uint16_t)t->rdlen};
    }
    free(t);
    if (rc == 0)
        qsort(c->records, c->nrecords, sizeof(*c->records), local_rr_cmp);
    return rc;
}

extern const oe_module_t oe_odoh_target_module;

/* The [site] serving the target (oe_module_t.site_name: the proxy's privacy check). */
static const char *site_name(const oe_conf_t *cf)
{
    const target_conf_t *c = oe_conf_get(cf, &oe_odoh_target_module);
    return c != NULL ? c->site_name : NULL;
}

static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_odoh_target_module, 0);
    if (sec == NULL)
        return 0;
    target_conf_t *c = sec->conf;
    if (oe_http_conf_site(cf, sec, c->site_name) == NULL)
        return OE_ECONFIG;
    return 0;
}

static int init(oe_modctx_t *ctx)
{
    target_conf_t *c = oe_conf_get(ctx->cf, &oe_odoh_target_module);
    oe_http_t *http = oe_http_of(ctx);
    if (http == NULL) {
        oe_log_error(TAG, "the target needs a [listen] section");
        return OE_ECONFIG;
    }
    oe_odoh_target_t *t = oe_calloc(1, sizeof(*t));
    t->conf = c;
    t->site = oe_http_site_by_name(ctx->cf, c->site_name);
    pthread_mutex_init(&t->lock, NULL);
    ctx->data = t;

    /* With the keys module compiled in, the key lifecycle supplies the keys (its section is
     * implicit, and it initialises next); only a build without it keeps one static key. */
    const oe_module_t *keys = oe_module_by_name("keys");
    if (keys != NULL && oe_conf_count(ctx->cf, keys) > 0)
        goto routes;

    uint8_t seed[32];
    oe_odoh_key_t key;
    int rc = load_or_create_seed(oe_core_conf(ctx->cf)->state_dir, seed);
    if (rc == 0)
        rc = oe_odoh_key_from_seed(&key, OE_HPKE_AEAD_AES128GCM, seed, sizeof(seed));
    oe_wipe(seed, sizeof(seed));
    if (rc < 0) {
        oe_log_error(TAG, "target key: %s", oe_strerror(rc));
        return rc;
    }
    t->keys = oe_odoh_keyset_new(&key, 1, 1, c->configs_max_age / 1000);
    oe_odoh_key_wipe(&key);

routes:;
    oe_http_worker_hook_t hook = {.start = worker_start, .stop = worker_stop, .data = t};
    t->hook = oe_http_add_worker_hook(http, &hook);
    if (t->hook < 0 ||
        oe_http_route(http, t->site, OE_M_GET | OE_M_HEAD | OE_M_POST, c->path, handle_query, t) <
            0 ||
        oe_http_route(http, t->site, OE_M_GET | OE_M_HEAD, "/.well-known/odohconfigs",
                      handle_configs, t) < 0)
        return OE_EINVAL;
    oe_log_info(
        TAG, "serving %s and /.well-known/odohconfigs on %s (upstreams: %zu, local records: %zu)",
        c->path, t->site->hosts.v[0], c->upstreams.n, c->nrecords);
    return 0;
}

static void destroy(oe_modctx_t *ctx)
{
    oe_odoh_target_t *t = ctx->data;
    if (t == NULL)
        return;
    oe_odoh_keyset_unref(t->keys);
    pthread_mutex_destroy(&t->lock);
    free(t);
    ctx->data = NULL;
}

const oe_module_t oe_odoh_target_module = {
    .name = "odoh_target",
    .section = "odoh-target",
    .conf_size = sizeof(target_conf_t),
    .directives = directives,
    .summary = "Oblivious DoH target and DoH endpoint with upstream resolvers",
    .conf_init = conf_init,
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .destroy = destroy,
    .site_name = site_name,
};
