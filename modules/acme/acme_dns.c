/* DNS-01 publication by DNS UPDATE + TSIG: see acme_dns.h. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "acme/acme_dns.h"
#include "crypto/crypto.h"
#include "dns/dns_text.h"
#include "dns/dns_tsig.h"
#include "dns/dns_update.h"
#include "dns/dns_wire.h"

#define TXT_TTL 60
#define FUDGE   300

struct oe_acme_dns {
    uv_loop_t *loop;
    oe_sockaddr_t server;
    uint8_t zone[OE_DNS_NAME_MAX];
    size_t zone_len;
    oe_dns_tsig_key_t key;
    uint64_t timeout_ms;
    uv_udp_t *udp; /* of the update in flight; each update has its own */
    uv_timer_t timer;
    int handles;
    bool busy, closing;
    uint16_t id;
    uint8_t req_mac[OE_DNS_TSIG_MAC_LEN];
    uint8_t msg[1024];
    size_t msg_len;
    uint8_t rbuf[4096];
    oe_acme_dns_cb cb;
    void *data;
};

static void on_closed(uv_handle_t *h)
{
    oe_acme_dns_t *d = h->data;
    if (h != (uv_handle_t *)&d->timer)
        free(h);
    if (--d->handles == 0) {
        oe_dns_tsig_key_wipe(&d->key);
        free(d);
    }
}

oe_acme_dns_t *oe_acme_dns_new(struct uv_loop_s *loop, const oe_sockaddr_t *server,
                               const char *zone, const char *tsig_name, const char *tsig_secret,
                               uint64_t timeout_ms, char **err)
{
    oe_acme_dns_t *d = oe_calloc(1, sizeof(*d));
    char msg[200];
    int zl = oe_dns_name_from_text(zone, strlen(zone), d->zone);
    if (zl < 0) {
        *err = oe_asprintf("\"%s\" is not a zone name", zone);
        free(d);
        return NULL;
    }
    if (oe_dns_tsig_key_init(&d->key, tsig_name, tsig_secret, msg, sizeof(msg)) != 0) {
        *err = oe_asprintf("TSIG key: %s", msg);
        oe_dns_tsig_key_wipe(&d->key);
        free(d);
        return NULL;
    }
    d->zone_len = (size_t)zl;
    d->loop = loop;
    d->server = *server;
    d->timeout_ms = timeout_ms;
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    d->handles = 1;
    return d;
}

static void close_udp(oe_acme_dns_t *d)
{
    if (d->udp != NULL) {
        uv_udp_recv_stop(d->udp);
        uv_close((uv_handle_t *)d->udp, on_closed);
        d->udp = NULL;
    }
}

static void finish(oe_acme_dns_t *d, int status, const char *msg)
{
    uv_timer_stop(&d->timer);
    close_udp(d);
    d->busy = false;
    d->cb(d->data, status, msg);
}

static void on_timeout(uv_timer_t *t)
{
    oe_acme_dns_t *d = t->data;
    char msg[200];
    snprintf(msg, sizeof(msg), "DNS UPDATE to %s: no answer", d->server.text);
    finish(d, OE_EFORMAT, msg);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    oe_acme_dns_t *d = h->data;
    (void)hint;
    buf->base = (char *)d->rbuf;
    buf->len = sizeof(d->rbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    oe_acme_dns_t *d = h->data;
    char msg[300];
    (void)from;
    (void)flags;
    if (nread == 0 || !d->busy || h != d->udp)
        return;
    if (nread < 0) {
        snprintf(msg, sizeof(msg), "DNS UPDATE to %s: %s", d->server.text, uv_strerror((int)nread));
        finish(d, OE_EFORMAT, msg);
        return;
    }
    oe_dns_msg_t m;
    if (oe_dns_msg_parse(&m, OE_SLICE(buf->base, (size_t)nread)) < 0 || m.hdr.id != d->id)
        return; /* not our answer */
    uint16_t tsig_error = 0;
    int v = oe_dns_tsig_verify(&m, &d->key, d->req_mac, sizeof(d->req_mac), (uint64_t)time(NULL),
                               &tsig_error);
    if (m.rcode != 0 || v < 0) {
        snprintf(msg, sizeof(msg), "DNS UPDATE to %s: %s%s%s", d->server.text,
                 oe_dns_rcode_name(m.rcode), v < 0 ? ", " : "", v < 0 ? oe_dns_strerror(v) : "");
        finish(d, OE_EFORMAT, msg);
        return;
    }
    finish(d, 0, "");
}

static void on_sent(uv_udp_send_t *r, int status)
{
    (void)status;
    free(r);
}

int oe_acme_dns_update(oe_acme_dns_t *d, const char *owner, const char *txt, oe_acme_dns_cb cb,
                       void *data)
{
    uint8_t name[OE_DNS_NAME_MAX], rdata[256];
    oe_slice_t rd;
    if (d->busy || d->closing)
        return OE_EINVAL;
    int nl = oe_dns_name_from_text(owner, strlen(owner), name);
    if (nl < 0)
        return OE_EFORMAT;
    size_t tl = txt ? strlen(txt) : 0;
    if (tl > 255)
        return OE_EFORMAT;
    /* RFC 1035 §3.3.14: TXT-DATA is one or more <character-string>s; one here. */
    rdata[0] = (uint8_t)tl;
    memcpy(rdata + 1, txt ? txt : "", tl);
    rd = OE_SLICE(rdata, tl + 1);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(d->zone, d->zone_len),
                         .owner = oe_dns_name_wire(name, (size_t)nl),
                         .type = OE_DNS_T_TXT,
                         .ttl = TXT_TTL,
                         .rdatas = txt ? &rd : NULL,
                         .nrdatas = txt ? 1 : 0,
                         .no_prereq = true};
    oe_crypto_random(NULL, (unsigned char *)&d->id, sizeof(d->id));
    int rc = oe_dns_update_build(d->msg, sizeof(d->msg), &d->msg_len, d->id, &u);
    if (rc == 0)
        rc = oe_dns_tsig_sign(d->msg, &d->msg_len, sizeof(d->msg), &d->key, (uint64_t)time(NULL),
                              FUDGE, NULL, 0, d->req_mac);
    if (rc < 0)
        return rc;
    d->udp = oe_calloc(1, sizeof(*d->udp));
    d->udp->data = d;
    if ((rc = uv_udp_init(d->loop, d->udp)) < 0) {
        free(d->udp);
        d->udp = NULL;
        return rc;
    }
    d->handles++;
    uv_udp_send_t *req = oe_malloc(sizeof(*req));
    uv_buf_t b = uv_buf_init((char *)d->msg, (unsigned)d->msg_len);
    if ((rc = uv_udp_connect(d->udp, (const struct sockaddr *)&d->server.ss)) < 0 ||
        (rc = uv_udp_recv_start(d->udp, on_alloc, on_recv)) < 0 ||
        (rc = uv_udp_send(req, d->udp, &b, 1, NULL, on_sent)) < 0) {
        free(req);
        close_udp(d);
        return rc;
    }
    d->busy = true;
    d->cb = cb;
    d->data = data;
    uv_timer_start(&d->timer, on_timeout, d->timeout_ms, 0);
    return 0;
}

void oe_acme_dns_close(oe_acme_dns_t *d)
{
    if (d == NULL)
        return;
    d->closing = true;
    d->busy = false;
    uv_timer_stop(&d->timer);
    close_udp(d);
    uv_close((uv_handle_t *)&d->timer, on_closed);
}
