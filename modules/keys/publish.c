/*
 * Publication after each change of the published configs: a zone-file snippet (written
 * atomically), an optional command, and a DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945,
 * hmac-sha256) to an authoritative server: zone SOA, prerequisite "name in use", delete the
 * HTTPS RRset, add the new record; the answer's TSIG is verified; then the server is asked for
 * the record to confirm it serves the new bytes. Failures (refused, NOTAUTH, BADKEY, BADTIME,
 * time-outs) are logged and retried with back-off; they never hold up local rotation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/log.h"
#include "core/service.h"
#include "core/stats.h"
#include "dns/dns_svcb.h"
#include "dns/dns_text.h"
#include "dns/dns_tsig.h"
#include "dns/dns_update.h"
#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "hpke/hpke.h"
#include "keys/keys_int.h"
#include "core/fs.h"
#include "crypto/encode.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 300000

typedef struct publisher {
    keys_t *k;
    uv_timer_t retry, timeout;
    uv_udp_t *udp; /* the exchange in flight: a fresh handle each time, since libuv cannot
                      re-initialise a handle that is still closing (the confirming query starts
                      from inside the UPDATE's receive callback) */
    bool busy, confirming;
    uint64_t backoff;
    uint8_t configs[512];
    size_t configs_len;
    uint8_t msg[4096];
    size_t msg_len;
    uint8_t req_mac[OE_DNS_TSIG_MAC_LEN];
    uint16_t id;
    oe_dns_tsig_key_t tsig;
    bool have_tsig;
    struct tcp_xfer *tcp; /* the TCP exchange in flight, if any */
    int handles;          /* the two timers; p is freed when both have closed */
} publisher_t;

/* What this process last published, across reloads (a process has one [keys] section): the zone
 * lines plus every setting that says where they go, and whether the DNS UPDATE for them (if any)
 * was confirmed. A reload with the same configs and settings publishes nothing again. */
static struct {
    oe_buf_t what;
    bool update_done;
} last;

static void publication(const keys_t *k, const uint8_t *configs, size_t len, oe_buf_t *out)
{
    const keys_conf_t *c = k->conf;
    oe_keys__zone_lines(k, configs, len, out);
    oe_buf_printf(
        out, "%s\n%s\n%s\n%s\n%s\n%d\n", c->zone_file ? c->zone_file : "",
        c->on_change ? c->on_change : "", c->has_update_server ? c->update_server.text : "",
        c->update_zone ? c->update_zone : "", c->tsig_name ? c->tsig_name : "", (int)c->update_tcp);
}

/* ---- zone file and command ------------------------------------------------------------------ */

void oe_keys__zone_lines(const keys_t *k, const uint8_t *configs, size_t len, oe_buf_t *out)
{
    uint8_t rdata[1024];
    int n = oe_keys__https_rdata(k, configs, len, rdata, sizeof(rdata));
    if (n < 0)
        return;
    uint8_t owner[OE_DNS_NAME_MAX];
    const char *name = oe_keys__record_name(k);
    int ol = oe_dns_name_from_text(name, strlen(name), owner);
    if (ol < 0)
        return;
    oe_dns_rr_t rr = {.name = oe_dns_name_wire(owner, (size_t)ol),
                      .type = OE_DNS_T_HTTPS,
                      .rclass = 1,
                      .ttl = (uint32_t)(k->conf->record_ttl / 1000),
                      .rdata = OE_SLICE(rdata, (size_t)n),
                      .msg = OE_SLICE(rdata, (size_t)n),
                      .section = OE_DNS_SEC_ANSWER};
    /* Presentation form with key32769="\DDD..." (never base64 text), then RFC 3597 generic. */
    oe_buf_printf(out, "; ODoH configs for %s, key 32769 = ObliviousDoHConfigs with its length\n",
                  name);
    oe_dns_rr_print(out, &rr);
    oe_buf_append(out, "\n", 1);
    oe_buf_append(out, "; the same record in RFC 3597 generic form\n; ", 45);
    oe_dns_rr_print_generic(out, &rr);
    oe_buf_append(out, "\n", 1);
}

static void write_zone_file(keys_t *k, const uint8_t *configs, size_t len)
{
    const char *path = k->conf->zone_file;
    oe_buf_t b = {0};
    oe_keys__zone_lines(k, configs, len, &b);
    int rc = oe_file_write_atomic(path, b.base, b.len, 0644);
    if (rc < 0) {
        oe_log_error(TAG, "zone-file %s: %s", path, oe_strerror(rc));
    } else {
        oe_log_info(TAG, "zone-file %s updated", path);
        oe_gauge_set(OE_GAUGE_PUBLISH_ZONE, (long)(oe_keys__now() / 1000));
    }
    oe_buf_free(&b);
}

static void on_process_closed(uv_handle_t *h)
{
    free(h); /* the uv_process_t is the allocation */
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig)
{
    if (status != 0 || sig != 0)
        oe_log_warn(TAG, "on-change command exited with status %lld%s", (long long)status,
                    sig ? " (signal)" : "");
    uv_close((uv_handle_t *)p, on_process_closed);
}

static void run_command(keys_t *k, const uint8_t *configs, size_t len)
{
    char hex[1025], env1[1100], env2[4200];
    oe_hex_encode(hex, configs, OE_MIN(len, (size_t)512));
    snprintf(env1, sizeof(env1), "ODOH_CONFIGS_HEX=%s", hex);
    snprintf(env2, sizeof(env2), "ODOH_ZONE_FILE=%s", k->conf->zone_file ? k->conf->zone_file : "");
    char *args[] = {"/bin/sh", "-c", (char *)k->conf->on_change, NULL};
    char *env[] = {env1, env2, "PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    uv_process_t *p = oe_calloc(1, sizeof(*p));
    uv_process_options_t o = {
        .file = "/bin/sh", .args = args, .env = env, .exit_cb = on_child_exit};
    /* Never with the server's privileges: as [global] user while the server is still root. */
    uid_t uid;
    gid_t gid;
    if (oe_service_child_ids(&uid, &gid)) {
        o.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
        o.uid = uid;
        o.gid = gid;
    }
    int rc = uv_spawn(k->loop, p, &o);
    if (rc < 0) {
        oe_log_error(TAG, "on-change command: %s", uv_strerror(rc));
        /* uv_spawn has put the handle in the loop even though it failed: it is freed in the
         * close callback, like any handle. */
        uv_close((uv_handle_t *)p, on_process_closed);
    }
}

/* ---- DNS UPDATE --------------------------------------------------------------------------------
 */

static void update_send(publisher_t *p);
static void update_start(publisher_t *p);

static void on_retry(uv_timer_t *t)
{
    update_start(t->data);
}

static void schedule_retry(publisher_t *p)
{
    p->busy = false;
    p->backoff = p->backoff ? OE_MIN(p->backoff * 2, (uint64_t)RETRY_MAX_MS) : RETRY_MIN_MS;
    oe_log_info(TAG, "DNS UPDATE: retrying in %llu ms", (unsigned long long)p->backoff);
    uv_timer_start(&p->retry, on_retry, p->backoff, 0);
}

static void on_udp_closed(uv_handle_t *h)
{
    free(h);
}

static void close_udp(publisher_t *p)
{
    if (p->udp != NULL) {
        uv_udp_recv_stop(p->udp);
        uv_close((uv_handle_t *)p->udp, on_udp_closed);
        p->udp = NULL;
    }
    uv_timer_stop(&p->timeout);
}

/* Does the server's HTTPS RRset hold exactly our configs under key 32769? */
static bool confirm_answer(publisher_t *p, const oe_dns_msg_t *m)
{
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    oe_dns_iter_init(&it, m, OE_DNS_SEC_ANSWER);
    while (oe_dns_iter_next(&it, &rr) == 1) {
        oe_dns_svcb_t s;
        oe_slice_t v;
        if (rr.type == OE_DNS_T_HTTPS && oe_dns_svcb_parse(rr.rdata, &s) == 0 &&
            oe_dns_svcb_param_get(&s, OE_SVCB_ODOHCONFIG, &v) == 1 &&
            oe_slice_eq(v, OE_SLICE(p->configs, p->configs_len)))
            return true;
    }
    return false;
}

static void tcp_send(publisher_t *p);
static void abort_tcp(publisher_t *p);
static void handle_answer(publisher_t *p, const oe_dns_msg_t *m);

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
    publisher_t *p = h->data;
    if (nread == 0 || h != p->udp)
        return;
    const oe_sockaddr_t *srv = &p->k->conf->update_server;
    if (nread < 0) {
        oe_log_error(TAG, "DNS UPDATE to %s: %s", srv->text, uv_strerror((int)nread));
        close_udp(p);
        schedule_retry(p);
        return;
    }
    oe_dns_msg_t m;
    if (oe_dns_msg_parse(&m, OE_SLICE(buf->base, (size_t)nread)) < 0 || m.hdr.id != p->id)
        return; /* not our answer: keep waiting */
    close_udp(p);
    if (m.hdr.flags & 0x0200) { /* TC: the same exchange over TCP (RFC 7766) */
        tcp_send(p);
        return;
    }
    handle_answer(p, &m);
}

/* The server's answer to the UPDATE (checked, then confirmed) or to the confirming query. */
static void handle_answer(publisher_t *p, const oe_dns_msg_t *msg)
{
    const oe_dns_msg_t m = *msg;
    const oe_sockaddr_t *srv = &p->k->conf->update_server;
    if (p->confirming) {
        if (confirm_answer(p, &m)) {
            oe_log_info(TAG, "DNS UPDATE: %s serves the new HTTPS record for %s", srv->text,
                        oe_keys__record_name(p->k));
            p->busy = false;
            p->backoff = 0;
            last.update_done = true;
            oe_gauge_set(OE_GAUGE_PUBLISH_UPDATE, (long)(oe_keys__now() / 1000));
        } else {
            oe_log_error(TAG, "DNS UPDATE: %s accepted the update but does not serve it",
                         srv->text);
            schedule_retry(p);
        }
        return;
    }
    uint16_t tsig_error = 0;
    int v = oe_dns_tsig_verify(&m, &p->tsig, p->req_mac, sizeof(p->req_mac),
                               (uint64_t)(oe_keys__now() / 1000), &tsig_error);
    if (m.rcode != 0 || v < 0) {
        oe_log_error(TAG, "DNS UPDATE to %s for %s failed: %s%s%s", srv->text,
                     oe_keys__record_name(p->k), oe_dns_rcode_name(m.rcode), v < 0 ? ", " : "",
                     v < 0 ? oe_dns_strerror(v) : "");
        schedule_retry(p);
        return;
    }
    /* Confirm: ask the server for the record. */
    uint8_t owner[OE_DNS_NAME_MAX];
    const char *name = oe_keys__record_name(p->k);
    int ol = oe_dns_name_from_text(name, strlen(name), owner);
    oe_dns_query_opts_t qo = {.udp_size = 1232};
    oe_crypto_random(NULL, (unsigned char *)&p->id, sizeof(p->id));
    if (ol < 0 ||
        oe_dns_build_query(p->msg, sizeof(p->msg), &p->msg_len, p->id,
                           oe_dns_name_wire(owner, (size_t)ol), OE_DNS_T_HTTPS, &qo) < 0) {
        p->busy = false;
        return;
    }
    p->confirming = true;
    update_send(p);
}

static void on_timeout(uv_timer_t *t)
{
    publisher_t *p = t->data;
    oe_log_error(TAG, "DNS UPDATE to %s: no answer", p->k->conf->update_server.text);
    close_udp(p);
    schedule_retry(p);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char rbuf[65536];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

static void on_sent(uv_udp_send_t *r, int status)
{
    free(r);
}

/* Sends p->msg (the UPDATE, or the confirming query) and waits for the answer. */
static void update_send(publisher_t *p)
{
    if (p->msg_len > 512 ||
        p->k->conf->update_tcp) { /* more than plain UDP DNS carries (RFC 1035 §4.2.1): TCP */
        tcp_send(p);
        return;
    }
    const oe_sockaddr_t *srv = &p->k->conf->update_server;
    p->busy = true;
    p->udp = oe_calloc(1, sizeof(*p->udp));
    int rc = uv_udp_init(p->k->loop, p->udp);
    if (rc < 0) {
        free(p->udp);
        p->udp = NULL;
    } else {
        p->udp->data = p;
        rc = uv_udp_connect(p->udp, (const struct sockaddr *)&srv->ss);
    }
    if (rc == 0)
        rc = uv_udp_recv_start(p->udp, on_alloc, on_udp_recv);
    uv_udp_send_t *req = malloc(sizeof(*req));
    uv_buf_t b = uv_buf_init((char *)p->msg, (unsigned)p->msg_len);
    if (rc == 0 && req != NULL)
        rc = uv_udp_send(req, p->udp, &b, 1, NULL, on_sent);
    else if (rc == 0)
        rc = UV_ENOMEM;
    if (rc < 0) {
        free(req);
        oe_log_error(TAG, "DNS UPDATE to %s: %s", srv->text, uv_strerror(rc));
        close_udp(p);
        schedule_retry(p);
        return;
    }
    uv_timer_start(&p->timeout, on_timeout, p->k->conf->update_timeout, 0);
}

/* Builds and signs the UPDATE for the configs in p, then sends it. */
static void update_start(publisher_t *p)
{
    keys_t *k = p->k;
    uint8_t rdata[1024], zone[OE_DNS_NAME_MAX], owner[OE_DNS_NAME_MAX];
    int n = oe_keys__https_rdata(k, p->configs, p->configs_len, rdata, sizeof(rdata));
    const char *name = oe_keys__record_name(k);
    int zl = oe_dns_name_from_text(k->conf->update_zone, strlen(k->conf->update_zone), zone);
    int ol = oe_dns_name_from_text(name, strlen(name), owner);
    if (n < 0 || zl < 0 || ol < 0) {
        oe_log_error(TAG, "DNS UPDATE: cannot build the record");
        return;
    }
    oe_slice_t rd = OE_SLICE(rdata, (size_t)n);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(zone, (size_t)zl),
                         .owner = oe_dns_name_wire(owner, (size_t)ol),
                         .type = OE_DNS_T_HTTPS,
                         .ttl = (uint32_t)(k->conf->record_ttl / 1000),
                         .rdatas = &rd,
                         .nrdatas = 1};
    oe_crypto_random(NULL, (unsigned char *)&p->id, sizeof(p->id));
    int rc = oe_dns_update_build(p->msg, sizeof(p->msg), &p->msg_len, p->id, &u);
    if (rc == 0 && p->have_tsig)
        rc = oe_dns_tsig_sign(p->msg, &p->msg_len, sizeof(p->msg), &p->tsig,
                              (uint64_t)(oe_keys__now() / 1000), OE_DNS_TSIG_FUDGE, NULL, 0,
                              p->req_mac);
    if (rc < 0) {
        oe_log_error(TAG, "DNS UPDATE: cannot build the message: %s", oe_dns_strerror(rc));
        return;
    }
    p->confirming = false;
    update_send(p);
}

/* ---- the TCP path (RFC 7766: two-byte length prefix) ------------------------------------------
 */

typedef struct tcp_xfer {
    publisher_t *p;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uint8_t len[2];
    oe_buf_t in;
    bool done;
} tcp_xfer_t;

static void on_tcp_closed(uv_handle_t *h)
{
    tcp_xfer_t *x = h->data;
    oe_buf_free(&x->in);
    free(x);
}

static void tcp_finish(tcp_xfer_t *x, const char *error)
{
    if (x->done)
        return;
    x->done = true;
    publisher_t *p = x->p;
    if (p->tcp == x)
        p->tcp = NULL;
    uv_timer_stop(&p->timeout);
    if (error != NULL) {
        oe_log_error(TAG, "DNS UPDATE to %s over TCP: %s", p->k->conf->update_server.text, error);
        schedule_retry(p);
    }
    uv_close((uv_handle_t *)&x->tcp, on_tcp_closed);
}

static void on_tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char rbuf[65536];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    tcp_xfer_t *x = s->data;
    if (nread == 0 || x->done)
        return;
    if (nread < 0) {
        tcp_finish(x, uv_strerror((int)nread));
        return;
    }
    oe_buf_append(&x->in, buf->base, (size_t)nread);
    if (x->in.len < 2 || x->in.len < 2 + (size_t)oe_get16(x->in.base))
        return;
    oe_dns_msg_t m;
    publisher_t *p = x->p;
    if (oe_dns_msg_parse(&m, OE_SLICE(x->in.base + 2, oe_get16(x->in.base))) < 0 ||
        m.hdr.id != p->id) {
        tcp_finish(x, "a malformed or foreign answer");
        return;
    }
    tcp_finish(x, NULL);
    handle_answer(p, &m);
}

static void on_tcp_written(uv_write_t *w, int status)
{
    tcp_xfer_t *x = w->data;
    if (status < 0)
        tcp_finish(x, uv_strerror(status));
}

static void on_tcp_connected(uv_connect_t *c, int status)
{
    tcp_xfer_t *x = c->data;
    if (x->done)
        return;
    if (status < 0) {
        tcp_finish(x, uv_strerror(status));
        return;
    }
    publisher_t *p = x->p;
    oe_put16(x->len, (uint16_t)p->msg_len);
    uv_buf_t bufs[2] = {uv_buf_init((char *)x->len, 2),
                        uv_buf_init((char *)p->msg, (unsigned)p->msg_len)};
    x->write.data = x;
    int rc = uv_read_start((uv_stream_t *)&x->tcp, on_tcp_alloc, on_tcp_read);
    if (rc == 0)
        rc = uv_write(&x->write, (uv_stream_t *)&x->tcp, bufs, 2, on_tcp_written);
    if (rc < 0)
        tcp_finish(x, uv_strerror(rc));
}

static void on_tcp_timeout(uv_timer_t *t)
{
    publisher_t *p = t->data;
    if (p->tcp != NULL)
        tcp_finish(p->tcp, "no answer");
}

/* Drops the TCP exchange in flight (superseded, or shutting down); no callback follows. */
static void abort_tcp(publisher_t *p)
{
    tcp_xfer_t *x = p->tcp;
    if (x == NULL)
        return;
    x->done = true;
    p->tcp = NULL;
    uv_close((uv_handle_t *)&x->tcp, on_tcp_closed);
}

static void tcp_send(publisher_t *p)
{
    tcp_xfer_t *x = oe_calloc(1, sizeof(*x));
    x->p = p;
    p->busy = true;
    p->tcp = x;
    uv_tcp_init(p->k->loop, &x->tcp);
    x->tcp.data = x->connect.data = x;
    uv_timer_start(&p->timeout, on_tcp_timeout, p->k->conf->update_timeout, 0);
    int rc =
        uv_tcp_connect(&x->connect, &x->tcp, (const struct sockaddr *)&p->k->conf->update_server.ss,
                       on_tcp_connected);
    if (rc < 0)
        tcp_finish(x, uv_strerror(rc));
}

publisher_t *oe_keys__publisher_new(keys_t *k)
{
    publisher_t *p = oe_calloc(1, sizeof(*p));
    p->k = k;
    uv_timer_init(k->loop, &p->retry);
    uv_timer_init(k->loop, &p->timeout);
    p->retry.data = p->timeout.data = p;
    const keys_conf_t *c = k->conf;
    if (c->has_update_server && c->tsig_name != NULL) {
        char secret[512] = "", err[200];
        if (c->tsig_secret != NULL) {
            snprintf(secret, sizeof(secret), "%s", c->tsig_secret);
        } else if (c->tsig_secret_file != NULL) {
            /* One line of base64; like every secret file, refused when others may read it. */
            int n = oe_file_read_secret(c->tsig_secret_file, (uint8_t *)secret, sizeof(secret) - 1);
            if (n == -EPERM)
                oe_log_error(TAG,
                             "tsig-secret-file %s is readable by group or others; chmod 600 it",
                             c->tsig_secret_file);
            else if (n < 0)
                oe_log_error(TAG, "tsig-secret-file %s: cannot read it: %s", c->tsig_secret_file,
                             oe_strerror(n));
            secret[n < 0 ? 0 : n] = '\0';
            secret[strcspn(secret, "\r\n")] = '\0';
        }
        if (oe_dns_tsig_key_init(&p->tsig, c->tsig_name, secret, err, sizeof(err)) == 0)
            p->have_tsig = true;
        else
            oe_log_error(TAG, "TSIG key %s: %s", c->tsig_name, err);
        oe_wipe(secret, sizeof(secret));
    }
    return p;
}

static void on_timer_closed(uv_handle_t *h)
{
    publisher_t *p = h->data;
    if (--p->handles == 0)
        free(p);
}

void oe_keys__publisher_free(publisher_t *p)
{
    if (p == NULL)
        return;
    close_udp(p);
    abort_tcp(p);
    oe_dns_tsig_key_wipe(&p->tsig);
    p->handles = 2;
    uv_close((uv_handle_t *)&p->retry, on_timer_closed);
    uv_close((uv_handle_t *)&p->timeout, on_timer_closed);
}

static void start_update(keys_t *k, const uint8_t *configs, size_t len);

void oe_keys__publish_changed(keys_t *k, const uint8_t *configs, size_t len)
{
    if (len == 0)
        return; /* never publish an empty list: keep what the world has */
    last.what.len = 0;
    publication(k, configs, len, &last.what);
    last.update_done = !k->conf->has_update_server;
    if (k->conf->zone_file != NULL)
        write_zone_file(k, configs, len);
    if (k->conf->on_change != NULL)
        run_command(k, configs, len);
    start_update(k, configs, len);
}

void oe_keys__publish_resume(keys_t *k, const uint8_t *configs, size_t len)
{
    oe_buf_t now = {0};
    publication(k, configs, len, &now);
    bool same = last.what.len > 0 &&
                oe_slice_eq(OE_SLICE(now.base, now.len), OE_SLICE(last.what.base, last.what.len));
    oe_buf_free(&now);
    if (!same)
        oe_keys__publish_changed(k, configs, len);
    else if (!last.update_done) /* the previous configuration's UPDATE did not finish */
        start_update(k, configs, len);
    else
        oe_log_info(TAG, "the published configs are unchanged: nothing to publish again");
}

/* DNS UPDATE of the configs in the background (superseding one in flight), when configured. */
static void start_update(keys_t *k, const uint8_t *configs, size_t len)
{
    publisher_t *p = k->pub;
    if (p == NULL || !k->conf->has_update_server || len > sizeof(p->configs))
        return;
    memcpy(p->configs, configs, len);
    p->configs_len = len;
    p->backoff = 0;
    uv_timer_stop(&p->retry);
    if (p->busy) { /* the exchange in flight is for older configs: start over */
        close_udp(p);
        abort_tcp(p);
        p->busy = false;
    }
    update_start(p);
}
