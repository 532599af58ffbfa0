/*
 * The upstream resolver client (see upstream.h). Handles are freed only in their close
 * callbacks; a query is freed when its timer has closed and its UDP sends have completed.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/stats.h"
#include "core/list.h"
#include "core/log.h"
#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "dns/upstream.h"
#include "crypto/crypto.h"

#define TAG           "dns"
#define DNS_MAX       65535
#define TCP_IDLE_MS   10000
#define FAILS_TO_DEAD 3
/* UDP: a few connected sockets per server, shared by the queries in flight (a new socket per
 * query cost socket(), bind(), connect(), two epoll_ctl and close(): about 5% of a DoH query's
 * CPU). Each socket keeps the random source port the kernel gave it; queries take a socket at
 * random and a random ID that no other query in flight on that socket has, and an answer goes
 * to the query with its ID on that socket only if the question matches too. A socket is retired
 * after UDP_SOCK_USES queries (closed once its last query is done), so source ports keep
 * changing. */
#define UDP_SOCKS     4
#define UDP_SOCK_USES 1024

typedef struct tcp_conn tcp_conn_t;

typedef struct udp_sock {
    uv_udp_t udp;
    oe_upstream_t *u;
    oe_list_t queries; /* in flight on this socket (their udp_link) */
    unsigned uses;
    bool retired; /* no longer in its server's slots: closes when its last query is done */
} udp_sock_t;

typedef struct server {
    const oe_sockaddr_t *addr;
    unsigned fails;
    uint64_t dead_until;
    tcp_conn_t *tcp;
    int stat_id; /* oe_stat_upstream_id() of the address */
    udp_sock_t *udp[UDP_SOCKS];
} server_t;

struct oe_upstream_query {
    oe_upstream_t *u;
    oe_upstream_cb cb;
    void *data;
    uint8_t *msg; /* the query with our ID */
    size_t len;
    uint16_t client_id, id;
    size_t qend; /* end of the question in msg */
    unsigned attempt;
    uint64_t tried;    /* servers (index < 64) this query has tried since the last wrap */
    uint8_t sock_pick; /* random: which of the server's UDP sockets this attempt uses */
    server_t *server;
    udp_sock_t *udp;    /* this attempt's socket, shared with other queries */
    oe_list_t udp_link; /* in udp->queries */
    uv_timer_t timer;
    int handles; /* open handles of this query */
    bool use_tcp, garbage, failed, done;
    uint64_t started;   /* loop time (ms) of the query, for the latency histogram */
    oe_list_t link;     /* in the client's queries */
    oe_list_t tcp_link; /* in tcp->waiting, while waiting on a TCP connection */
    tcp_conn_t *tcp;
};

struct tcp_conn {
    oe_upstream_t *u;
    server_t *server;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_timer_t idle;
    bool connected, closing;
    int handles;
    oe_buf_t in;
    oe_list_t waiting; /* queries sent or to send once connected (their tcp_link) */
};

struct oe_upstream {
    uv_loop_t *loop;
    oe_upstream_conf_t conf;
    server_t *servers;
    oe_list_t queries; /* every query (its link) */
    size_t inflight;
    bool closing;
    int handles; /* open TCP connections and UDP sockets keep the client alive */
};

static void attempt(oe_upstream_query_t *q);
static void tcp_send(tcp_conn_t *t, oe_upstream_query_t *q);
static void tcp_close(tcp_conn_t *t);
static void on_tcp_connected(uv_connect_t *c, int status);

static void on_tcp_idle(uv_timer_t *t)
{
    tcp_close(t->data);
}

oe_upstream_t *oe_upstream_new(uv_loop_t *loop, const oe_upstream_conf_t *conf)
{
    oe_upstream_t *u = oe_calloc(1, sizeof(*u));
    u->loop = loop;
    u->conf = *conf;
    oe_list_init(&u->queries);
    if (u->conf.timeout_ms == 0)
        u->conf.timeout_ms = 1500;
    if (u->conf.attempts == 0)
        u->conf.attempts = 3;
    if (u->conf.dead_ms == 0)
        u->conf.dead_ms = 30000;
    if (u->conf.max_inflight == 0)
        u->conf.max_inflight = 4096;
    u->servers = oe_calloc(conf->nservers ? conf->nservers : 1, sizeof(*u->servers));
    for (size_t i = 0; i < conf->nservers; i++) {
        u->servers[i].addr = &conf->servers[i];
        u->servers[i].stat_id = oe_stat_upstream_id(conf->servers[i].text);
    }
    return u;
}

static void maybe_free_client(oe_upstream_t *u)
{
    if (u->closing && oe_list_empty(&u->queries) && u->handles == 0) {
        free(u->servers);
        free(u);
    }
}

static uint16_t random_id(void)
{
    uint16_t id;
    if (oe_crypto_random(NULL, (unsigned char *)&id, sizeof(id)) != 0)
        abort(); /* the DRBG failing is not survivable: IDs must not be predictable */
    return id;
}

/* ---- query lifetime ----------------------------------------------------------------------- */

static void query_unlink_tcp(oe_upstream_query_t *q)
{
    tcp_conn_t *t = q->tcp;
    if (t == NULL)
        return;
    oe_list_remove(&q->tcp_link);
    q->tcp = NULL;
    if (oe_list_empty(&t->waiting) && !t->closing)
        uv_timer_start(&t->idle, on_tcp_idle, TCP_IDLE_MS, 0);
}

static void query_handle_gone(oe_upstream_query_t *q)
{
    if (--q->handles > 0)
        return;
    oe_upstream_t *u = q->u;
    oe_list_remove(&q->link);
    u->inflight--;
    free(q->msg);
    free(q);
    maybe_free_client(u);
}

static void on_query_handle_closed(uv_handle_t *h)
{
    query_handle_gone(h->data);
}

static void on_udp_closed(uv_handle_t *h)
{
    udp_sock_t *k = h->data;
    oe_upstream_t *u = k->u;
    free(k);
    u->handles--;
    maybe_free_client(u);
}

static void udp_sock_close(udp_sock_t *k)
{
    uv_close((uv_handle_t *)&k->udp, on_udp_closed);
}

/* The query leaves its socket (its attempt is over); a retired socket closes with its last. A
 * late answer to it then matches no query and is dropped. */
static void close_udp(oe_upstream_query_t *q)
{
    udp_sock_t *k = q->udp;
    if (k == NULL)
        return;
    oe_list_remove(&q->udp_link);
    q->udp = NULL;
    if (k->retired && oe_list_empty(&k->queries))
        udp_sock_close(k);
}

/* Ends the query: calls back unless cancelled, then closes its handles. */
static void finish(oe_upstream_query_t *q, int status, uint8_t *answer, size_t len)
{
    if (q->done)
        return;
    q->done = true;
    if (q->cb != NULL)
        oe_stat_upstream(q->server != NULL ? q->server->stat_id : 0,
                         status == 0                      ? 0
                         : status == OE_UPSTREAM_ETIMEOUT ? 1
                                                          : 2,
                         (uv_now(q->u->loop) - q->started) * 1000);
    uv_timer_stop(&q->timer);
    query_unlink_tcp(q);
    close_udp(q);
    if (status == 0)
        oe_put16(answer, q->client_id);
    if (q->cb != NULL)
        q->cb(q->data, status, status == 0 ? OE_SLICE(answer, len) : OE_SLICE(NULL, 0));
    uv_close((uv_handle_t *)&q->timer, on_query_handle_closed);
}

void oe_upstream_cancel(oe_upstream_query_t *q)
{
    q->cb = NULL;
    finish(q, OE_UPSTREAM_EFAIL, NULL, 0);
}

/* The server failed this attempt: count it, and try the next attempt or give up. */
static void attempt_failed(oe_upstream_query_t *q, bool timeout)
{
    server_t *s = q->server;
    if (++s->fails >= FAILS_TO_DEAD)
        s->dead_until = uv_now(q->u->loop) + q->u->conf.dead_ms;
    if (!timeout)
        q->failed = true;
    query_unlink_tcp(q);
    close_udp(q);
    /* The next attempt goes to the next server, over UDP (a TCP retry after truncation belongs
     * to its attempt only). */
    q->use_tcp = false;
    if (++q->attempt < q->u->conf.attempts && !q->u->closing) {
        attempt(q);
        return;
    }
    finish(q, (q->garbage || q->failed) ? OE_UPSTREAM_EFAIL : OE_UPSTREAM_ETIMEOUT, NULL, 0);
}

static void on_timeout(uv_timer_t *t)
{
    attempt_failed(t->data, true);
}

/* Is answer the reply to q? ID, QR, and the same question (names compared case-insensitively,
 * since resolvers may randomise case). */
static bool matches(oe_upstream_query_t *q, const uint8_t *p, size_t n, oe_dns_msg_t *m)
{
    if (oe_dns_msg_parse(m, OE_SLICE(p, n)) < 0)
        return false;
    if (m->hdr.id != q->id || !(m->hdr.flags & OE_DNS_F_QR) || m->hdr.count[0] != 1)
        return false;
    oe_dns_msg_t qm;
    oe_dns_rr_t a, b;
    if (oe_dns_msg_parse(&qm, OE_SLICE(q->msg, q->len)) < 0 || oe_dns_msg_question(&qm, &a) < 0 ||
        oe_dns_msg_question(m, &b) < 0)
        return false;
    return a.type == b.type && a.rclass == b.rclass && oe_dns_name_eq(a.name, b.name);
}

/* A validated answer from server s. */
static void answered(oe_upstream_query_t *q, uint8_t *p, size_t n, const oe_dns_msg_t *m)
{
    q->server->fails = 0;
    q->server->dead_until = 0;
    finish(q, 0, p, n);
}

/* ---- UDP ---------------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static __thread char rbuf[DNS_MAX];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

/* The query in flight on k with this ID, or NULL. */
static oe_upstream_query_t *udp_find(udp_sock_t *k, uint16_t id)
{
    for (oe_list_t *it = k->queries.next; it != &k->queries; it = it->next) {
        oe_upstream_query_t *q = OE_LIST_ENTRY(it, oe_upstream_query_t, udp_link);
        if (q->id == id)
            return q;
    }
    return NULL;
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
    udp_sock_t *k = h->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        /* ICMP unreachable on the connected socket: the server refused, and every query in
         * flight on this socket asked it. They leave it first (a retry may come back to it). */
        oe_list_t failed;
        oe_list_init(&failed);
        while (!oe_list_empty(&k->queries)) {
            oe_upstream_query_t *q = OE_LIST_ENTRY(k->queries.next, oe_upstream_query_t, udp_link);
            close_udp(q);
            oe_list_insert_head(&failed, &q->udp_link);
        }
        while (!oe_list_empty(&failed)) {
            oe_upstream_query_t *q = OE_LIST_ENTRY(failed.next, oe_upstream_query_t, udp_link);
            oe_list_remove(&q->udp_link);
            if (!q->done) /* a callback may have cancelled it meanwhile */
                attempt_failed(q, false);
        }
        return;
    }
    oe_upstream_query_t *q = nread >= 12 ? udp_find(k, oe_get16((const uint8_t *)buf->base)) : NULL;
    if (q == NULL) {
        /* Not an answer to any query in flight here: dropped, but the server sent garbage to
         * them all (a query that fails later fails as such, not as a time-out). */
        OE_LIST_FOREACH(it, &k->queries)
        {
            OE_LIST_ENTRY(it, oe_upstream_query_t, udp_link)->garbage = true;
        }
        return;
    }
    oe_dns_msg_t m;
    if (!matches(q, (const uint8_t *)buf->base, (size_t)nread, &m)) {
        q->garbage = true;
        return;
    }
    if (m.hdr.flags & 0x0200) { /* TC: the whole answer needs TCP (RFC 7766) */
        close_udp(q);
        q->use_tcp = true;
        attempt(q); /* same attempt count, same server, over TCP */
        return;
    }
    answered(q, (uint8_t *)buf->base, (size_t)nread, &m);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    oe_upstream_query_t *q = req->data;
    /* not an earlier attempt's */
    bool current = q->udp != NULL && req->handle == &q->udp->udp;
    free(req);
    if (status < 0 && !q->done && current)
        attempt_failed(q, false);
    query_handle_gone(q); /* the socket outlives the query: q waited for this */
}

/* A socket of server s for one more query: a random slot, opened (connected: the kernel picks
 * a random source port) when empty or retired. */
static int udp_sock_get(oe_upstream_t *u, server_t *s, unsigned pick, udp_sock_t **out)
{
    udp_sock_t **slot = &s->udp[pick % UDP_SOCKS];
    if (*slot != NULL && (*slot)->uses >= UDP_SOCK_USES) {
        (*slot)->retired = true;
        if (oe_list_empty(&(*slot)->queries))
            udp_sock_close(*slot);
        *slot = NULL;
    }
    if (*slot == NULL) {
        udp_sock_t *k = malloc(sizeof(*k));
        if (k == NULL)
            return UV_ENOMEM;
        int rc = uv_udp_init(u->loop, &k->udp);
        if (rc < 0) {
            free(k);
            return rc;
        }
        k->udp.data = k;
        k->u = u;
        oe_list_init(&k->queries);
        k->uses = 0;
        k->retired = false;
        u->handles++;
        rc = uv_udp_connect(&k->udp, (const struct sockaddr *)&s->addr->ss);
        if (rc == 0)
            rc = uv_udp_recv_start(&k->udp, on_alloc, on_udp_recv);
        if (rc < 0) {
            udp_sock_close(k);
            return rc;
        }
        *slot = k;
    }
    *out = *slot;
    return 0;
}

static int udp_send(oe_upstream_query_t *q)
{
    udp_sock_t *k;
    int rc = udp_sock_get(q->u, q->server, q->sock_pick, &k);
    if (rc < 0)
        return rc;
    /* Never two queries with one ID on one socket: the answer would be ambiguous. */
    while (udp_find(k, q->id) != NULL)
        q->id = random_id();
    oe_put16(q->msg, q->id);
    k->uses++;
    q->udp = k;
    oe_list_insert_head(&k->queries, &q->udp_link);
    uv_udp_send_t *req = malloc(sizeof(*req));
    if (req == NULL)
        return UV_ENOMEM;
    req->data = q;
    uv_buf_t b = uv_buf_init((char *)q->msg, (unsigned)q->len);
    rc = uv_udp_send(req, &k->udp, &b, 1, NULL, on_udp_sent);
    if (rc < 0)
        free(req);
    else
        q->handles++;
    return rc;
}

static void close_udp_socks(server_t *s)
{
    for (int i = 0; i < UDP_SOCKS; i++) {
        udp_sock_t *k = s->udp[i];
        if (k == NULL)
            continue;
        s->udp[i] = NULL;
        k->retired = true;
        if (oe_list_empty(&k->queries))
            udp_sock_close(k);
    }
}

/* Picks the server for this attempt: the first one this query has not tried yet, healthy ones
 * in configured order first, then the dead ones; once all were tried, the same again. (Tracking
 * what was tried matters: a server that turns dead during the query moves to the end of the
 * order, and indexing the order by attempt number would pick it again.) A TCP retry keeps its
 * server. */
static server_t *pick(oe_upstream_query_t *q)
{
    oe_upstream_t *u = q->u;
    size_t n = u->conf.nservers;
    uint64_t now = uv_now(u->loop);
    for (int round = 0; round < 2; round++, q->tried = 0)
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < n; i++) {
                uint64_t bit = i < 64 ? (uint64_t)1 << i : 0;
                bool dead = u->servers[i].dead_until > now;
                if (dead == (pass == 1) && !(q->tried & bit)) {
                    q->tried |= bit;
                    return &u->servers[i];
                }
            }
    return &u->servers[0];
}

static void attempt(oe_upstream_query_t *q)
{
    if (!q->use_tcp || q->server == NULL)
        q->server = pick(q);
    uint8_t r[3]; /* one draw: the ID and which of the server's UDP sockets */
    if (oe_crypto_random(NULL, r, sizeof(r)) != 0)
        abort(); /* as random_id() */
    q->id = (uint16_t)(r[0] | r[1] << 8);
    q->sock_pick = r[2];
    oe_put16(q->msg, q->id);
    uv_timer_start(&q->timer, on_timeout, q->u->conf.timeout_ms, 0);
    if (q->use_tcp) {
        server_t *s = q->server;
        if (s->tcp == NULL) {
            tcp_conn_t *t = oe_calloc(1, sizeof(*t));
            oe_list_init(&t->waiting);
            t->u = q->u;
            t->server = s;
            uv_tcp_init(q->u->loop, &t->tcp);
            uv_timer_init(q->u->loop, &t->idle);
            t->tcp.data = t->idle.data = t->connect.data = t;
            t->handles = 2;
            q->u->handles++;
            s->tcp = t;
            int rc = uv_tcp_connect(&t->connect, &t->tcp, (const struct sockaddr *)&s->addr->ss,
                                    on_tcp_connected);
            if (rc < 0) {
                tcp_close(t);
                attempt_failed(q, false);
                return;
            }
        }
        tcp_send(s->tcp, q);
        return;
    }
    int rc = udp_send(q);
    if (rc < 0) {
        oe_log_debug(TAG, "upstream %s: %s", q->server->addr->text, uv_strerror(rc));
        attempt_failed(q, false);
    }
}

oe_upstream_query_t *oe_upstream_query(oe_upstream_t *u, oe_slice_t query, oe_upstream_cb cb,
                                       void *data, int *err)
{
    oe_dns_msg_t m;
    if (query.len < 12 || oe_dns_msg_parse(&m, query) < 0 || m.hdr.count[0] != 1 ||
        (m.hdr.flags & OE_DNS_F_QR) || u->conf.nservers == 0) {
        *err = OE_EFORMAT;
        return NULL;
    }
    if (u->inflight >= u->conf.max_inflight || u->closing) {
        *err = OE_UPSTREAM_EBUSY;
        return NULL;
    }
    oe_upstream_query_t *q = oe_calloc(1, sizeof(*q));
    q->u = u;
    q->started = uv_now(u->loop);
    q->cb = cb;
    q->data = data;
    q->msg = oe_malloc(query.len);
    memcpy(q->msg, query.base, query.len);
    q->len = query.len;
    q->client_id = m.hdr.id;
    uv_timer_init(u->loop, &q->timer);
    q->timer.data = q;
    q->handles = 1;
    oe_list_init(&q->tcp_link);
    oe_list_init(&q->udp_link);
    oe_list_insert_head(&u->queries, &q->link);
    u->inflight++;
    attempt(q);
    return q;
}

/* ---- TCP (RFC 7766: two-byte length prefix, pipelined, matched by ID) -------------------- */

static void on_tcp_handle_closed(uv_handle_t *h)
{
    tcp_conn_t *t = h->data;
    if (--t->handles > 0)
        return;
    oe_upstream_t *u = t->u;
    oe_buf_free(&t->in);
    free(t);
    u->handles--;
    maybe_free_client(u);
}

static void tcp_close(tcp_conn_t *t)
{
    if (t->closing)
        return;
    t->closing = true;
    if (t->server->tcp == t)
        t->server->tcp = NULL;
    uv_close((uv_handle_t *)&t->tcp, on_tcp_handle_closed);
    uv_close((uv_handle_t *)&t->idle, on_tcp_handle_closed);
    /* Queries still waiting on this connection try their next attempt. */
    while (!oe_list_empty(&t->waiting)) {
        oe_upstream_query_t *q = OE_LIST_ENTRY(t->waiting.next, oe_upstream_query_t, tcp_link);
        query_unlink_tcp(q);
        attempt_failed(q, false);
    }
}

static void on_tcp_written(uv_write_t *w, int status)
{
    tcp_conn_t *t = w->data;
    free(w);
    if (status < 0 && !t->closing)
        tcp_close(t);
}

static void tcp_write(tcp_conn_t *t, oe_upstream_query_t *q)
{
    struct {
        uv_write_t req;
        uint8_t len[2];
    } *w = malloc(sizeof(*w));
    if (w == NULL) {
        tcp_close(t);
        return;
    }
    oe_put16(w->len, (uint16_t)q->len);
    w->req.data = t;
    uv_buf_t bufs[2] = {uv_buf_init((char *)w->len, 2),
                        uv_buf_init((char *)q->msg, (unsigned)q->len)};
    if (uv_write(&w->req, (uv_stream_t *)&t->tcp, bufs, 2, on_tcp_written) < 0) {
        free(w);
        tcp_close(t);
    }
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    on_alloc(h, hint, buf);
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    tcp_conn_t *t = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        tcp_close(t);
        return;
    }
    oe_buf_append(&t->in, buf->base, (size_t)nread);
    size_t off = 0;
    while (t->in.len - off >= 2) {
        size_t n = oe_get16(t->in.base + off);
        if (t->in.len - off - 2 < n)
            break;
        uint8_t *p = t->in.base + off + 2;
        off += 2 + n;
        oe_upstream_query_t *q = NULL;
        OE_LIST_FOREACH(it, &t->waiting)
        {
            oe_upstream_query_t *w = OE_LIST_ENTRY(it, oe_upstream_query_t, tcp_link);
            if (n >= 2 && oe_get16(p) == w->id) {
                q = w;
                break;
            }
        }
        oe_dns_msg_t m;
        if (q == NULL || !matches(q, p, n, &m)) {
            continue;
        }
        answered(q, p, n, &m);
        if (t->closing)
            return;
    }
    memmove(t->in.base, t->in.base + off, t->in.len - off);
    t->in.len -= off;
}

static void on_tcp_connected(uv_connect_t *c, int status)
{
    tcp_conn_t *t = c->data;
    if (t->closing)
        return;
    if (status < 0) {
        oe_log_debug(TAG, "upstream %s (tcp): %s", t->server->addr->text, uv_strerror(status));
        tcp_close(t);
        return;
    }
    t->connected = true;
    uv_read_start((uv_stream_t *)&t->tcp, tcp_alloc, on_tcp_read);
    OE_LIST_FOREACH(it, &t->waiting)
    tcp_write(t, OE_LIST_ENTRY(it, oe_upstream_query_t, tcp_link));
}

static void tcp_send(tcp_conn_t *t, oe_upstream_query_t *q)
{
    uv_timer_stop(&t->idle);
    /* IDs are unique among this connection's queries. */
    bool clash;
    do {
        clash = false;
        OE_LIST_FOREACH(it, &t->waiting)
        clash |= OE_LIST_ENTRY(it, oe_upstream_query_t, tcp_link)->id == q->id;
        if (clash) {
            q->id = random_id();
            oe_put16(q->msg, q->id);
        }
    } while (clash);
    q->tcp = t;
    oe_list_insert_head(&t->waiting, &q->tcp_link);
    if (t->connected)
        tcp_write(t, q);
}

void oe_upstream_close(oe_upstream_t *u)
{
    u->closing = true;
    for (oe_list_t *it = u->queries.next, *next; it != &u->queries; it = next) {
        next = it->next;
        oe_upstream_cancel(OE_LIST_ENTRY(it, oe_upstream_query_t, link));
    }
    for (size_t i = 0; i < u->conf.nservers; i++) {
        if (u->servers[i].tcp != NULL)
            tcp_close(u->servers[i].tcp);
        close_udp_socks(&u->servers[i]);
    }
    maybe_free_client(u);
}

static void on_lookup_answer(void *data, int status, oe_slice_t answer)
{
    oe_upstream_lookup_t *l = data;
    oe_slice_t a;
    if (status == 0 && oe_dns_first_answer(answer, 1, 4, &a) == 1) {
        struct sockaddr_in in = {.sin_family = AF_INET};
        memcpy(&in.sin_addr, a.base, 4);
        l->cb(l->data, 0, &in);
        return;
    }
    l->cb(l->data, status == 0 ? OE_UPSTREAM_ENOADDR : status, NULL);
}

oe_upstream_query_t *oe_upstream_lookup(oe_upstream_t *u, const char *host, oe_upstream_lookup_t *l,
                                        int *err)
{
    uint8_t name[OE_DNS_NAME_MAX], q[OE_DNS_NAME_MAX + 64];
    size_t qlen;
    int nl = oe_dns_name_from_text(host, strlen(host), name);
    oe_dns_query_opts_t qo = {.flags = 0x0100}; /* RD */
    if (nl < 0 || oe_dns_build_query(q, sizeof(q), &qlen, random_id(),
                                     oe_dns_name_wire(name, (size_t)nl), 1, &qo) < 0) {
        *err = OE_EFORMAT;
        return NULL;
    }
    return oe_upstream_query(u, OE_SLICE(q, qlen), on_lookup_answer, l, err);
}

static const char *upstream_strerror(int err)
{
    return err == OE_UPSTREAM_ETIMEOUT  ? "upstream resolver timed out"
           : err == OE_UPSTREAM_EBUSY   ? "too many upstream queries in flight"
           : err == OE_UPSTREAM_ENOADDR ? "the name has no IPv4 address"
                                        : "upstream resolver failed";
}

__attribute__((constructor)) static void register_errors(void)
{
    oe_strerror_register(300, 399, upstream_strerror);
}
