/*
 * Worker threads, listeners and connections. A connection reads ciphertext (or plain bytes),
 * runs the TLS engine, hands plaintext to the protocol engine (h1 or h2, chosen by ALPN), and
 * writes whatever the engines produced. Output is copied into one write in flight at a time;
 * above OE_HTTP_OUT_HIGH queued bytes the engines stop producing and reading pauses, so a slow
 * reader costs bounded memory.
 *
 * When its generation is retired, a worker stops accepting and drains: each connection moves to
 * a worker of the live generation as soon as it is quiescent (the hand-over below), or else is
 * finished here (GOAWAY, connection: close) by the generation's deadline.
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim is glibc's; musl has none */
#endif
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ /* as linux/sockios.h defines it; musl's headers have no linux/ */
#endif
#include <time.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/core.h"
#include "core/log.h"
#include "http/http_int.h"

#define READ_BUF 65536
/* The first reservation of a connection's output: one full TLS record of plaintext. */
#define OUT_FIRST      16384
#define OUT_KEEP       65536 /* output buffers a busy connection keeps between writes (on_write) */
#define OUT_KEEP_AFTER 8     /* writes after which a connection counts as busy */

/* Lingering close bounds (see linger()). 256 KiB is four times the default max-body-size, more
 * than a client has in flight in socket buffers on the paths we serve, and small enough that
 * discarding it costs little; the time bound is OE_HTTP_LINGER_MS. */
#define LINGER_BYTES OE_HTTP_LINGER_BYTES

static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_conn_handle_closed(uv_handle_t *h);
static int engine_start(conn_t *c, const char *alpn);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static bool conn_migrate(conn_t *c);
static void on_adopt(uv_async_t *a);

/* ---- worker -------------------------------------------------------------------------------- */

const char *oe_http__worker_date(worker_t *w)
{
    uint64_t now = uv_now(&w->loop) / 1000;
    if (w->date[0] == '\0' || now != w->date_at) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_at = now;
    }
    return w->date;
}

static void on_noop_close(uv_handle_t *h)
{
}

/* The worker is done when it is stopping and has no connection left. */
static void worker_maybe_finish(worker_t *w)
{
    if (!w->stopping || w->nconns > 0 || uv_is_closing((uv_handle_t *)&w->wake))
        return;
    /* Module state (e.g. upstream clients) goes last: requests in flight still needed it. */
    for (size_t i = 0; i < w->http->nhooks; i++)
        if (w->http->hooks[i].stop != NULL)
            w->http->hooks[i].stop(w->hook_state[i], w->http->hooks[i].data);
    pthread_mutex_lock(&handoff_lock);
    w->wake_closed = true; /* oe_http__worker_hurry() must not send to it any more */
    pthread_mutex_unlock(&handoff_lock);
    uv_close((uv_handle_t *)&w->wake, on_noop_close);
    uv_close((uv_handle_t *)&w->drain, on_noop_close);
    uv_close((uv_handle_t *)&w->backoff, on_noop_close);
    uv_close((uv_handle_t *)&w->late, on_noop_close);
    uv_close((uv_handle_t *)&w->adopt, on_noop_close);
    uv_close((uv_handle_t *)&w->trim, on_noop_close);
    uv_close((uv_handle_t *)&w->tidy, on_noop_close);
}

static void on_drain_deadline(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->nconns > 0)
        oe_log_info(TAG, "worker %u: closing %zu connection(s) at the shutdown deadline", w->id,
                    w->nconns);
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        oe_http__conn_close(c);
    }
}

static void drain_all(worker_t *w)
{
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (!conn_migrate(c))
            oe_http__conn_drain(c);
    }
}

/* Some time before the deadline: connections still busy get their GOAWAY (or close) now, so
 * that their requests in flight can finish before it. */
static void on_late(uv_timer_t *t)
{
    worker_t *w = t->data;
    w->hurry = true;
    drain_all(w);
}

/* Runs on the worker's thread when oe_http__worker_stop() woke it: stop accepting (the listening
 * sockets stay open for the next generation; only our dup()s close) and drain. */
static void on_wake(uv_async_t *a)
{
    worker_t *w = a->data;
    if (w->stopping) {
        if (w->http->hurry && !w->hurry) { /* the process stops while this drains */
            w->hurry = true;
            uv_timer_stop(&w->late);
            drain_all(w);
        }
        return;
    }
    w->stopping = true;
    w->hurry = w->http->hurry;
    on_adopt(&w->adopt); /* hand-overs that arrived before this generation stopped */
    for (size_t i = 0; i < w->nlisteners; i++)
        uv_close((uv_handle_t *)&w->listeners[i].tcp, on_noop_close);
    drain_all(w);
    uint64_t deadline = w->http->shutdown_timeout;
    uv_timer_start(&w->drain, on_drain_deadline, deadline, 0);
    if (!w->hurry)
        uv_timer_start(&w->late, on_late, deadline - OE_MIN(deadline / 2, (uint64_t)2000), 0);
    worker_maybe_finish(w);
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    for (size_t i = 0; i < w->http->nhooks; i++)
        w->hook_state[i] = w->http->hooks[i].start(&w->loop, w->http->hooks[i].data);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    oe_http__h2_spares_free(w);
    free(w->listeners);
    free(w->counts);
    uv_loop_close(&w->loop);
    /* The main loop may join (and free w) as soon as it sees this. */
    oe_runtime_t *rt = w->http->rt;
    atomic_store(&w->exited, true);
    oe_runtime_wake(rt);
}

static void on_connection(uv_stream_t *server, int status);
static void on_tidy(uv_timer_t *t);

static int listen_on(worker_t *w, listener_t *l, const lsock_t *s, size_t i)
{
    int fd = oe_http__socket_dup(s, i);
    if (fd < 0) {
        oe_log_error(TAG, "cannot listen on %s: %s", oe_http__socket_text(s), oe_strerror(fd));
        return fd;
    }
    int rc = uv_tcp_init(&w->loop, &l->tcp);
    if (rc < 0) {
        close(fd);
    } else {
        l->tcp.data = l;
        rc = uv_tcp_open(&l->tcp, fd);
        if (rc < 0)
            close(fd);
        else
            rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
        if (rc < 0)
            uv_close((uv_handle_t *)&l->tcp, on_noop_close);
    }
    if (rc < 0)
        oe_log_error(TAG, "cannot listen on %s: %s", oe_http__socket_text(s), uv_strerror(rc));
    return rc;
}

/* Worker index accepts from the shared sockets j with j % nworkers == index (one each when
 * there are as many sockets as workers; more when an earlier generation had more workers). */
int oe_http__worker_start(oe_http_t *http, worker_t *w, unsigned index)
{
    static unsigned ids;
#ifdef __GLIBC__
    /* glibc gives the top of a thread's heap back to the kernel as soon as 128 KiB are free
     * there, and takes it again on the next allocation: with connections freeing their buffers
     * whenever they go idle, that was a madvise() and a dozen page faults every few requests.
     * Idle workers trim explicitly instead (on_trim). Setting the trim threshold also fixes the
     * mmap threshold, otherwise adjusted at run time: 1 MiB keeps every connection buffer (at
     * most about 2 x OE_HTTP_OUT_HIGH) in the heap. */
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
    *w = (worker_t){.http = http, .id = ids++, .index = index};
    int rc = uv_loop_init(&w->loop);
    if (rc < 0)
        return rc;
    size_t n = 0;
    for (size_t k = 0; k < http->nsocks; k++)
        n += oe_http__socket_count(http->socks[k]);
    w->listeners = oe_calloc(n ? n : 1, sizeof(*w->listeners));
    w->counts = oe_calloc(http->nlistens ? http->nlistens : 1, sizeof(*w->counts));
    size_t k = 0;
    for (size_t i = 0; i < http->nlistens && rc == 0; i++) {
        for (size_t a = 0; a < http->listens[i]->addresses.n && rc == 0; a++, k++) {
            for (size_t j = index; j < oe_http__socket_count(http->socks[k]) && rc == 0;
                 j += http->nworkers) {
                listener_t *l = &w->listeners[w->nlisteners];
                l->sock = http->socks[k];
                l->w = w;
                l->conf = http->listens[i];
                l->listen_index = i;
                rc = listen_on(w, l, http->socks[k], j);
                if (rc == 0)
                    w->nlisteners++;
            }
        }
    }
    if (rc == 0) {
        uv_async_init(&w->loop, &w->wake, on_wake);
        uv_async_init(&w->loop, &w->adopt, on_adopt);
        uv_timer_init(&w->loop, &w->drain);
        uv_timer_init(&w->loop, &w->late);
        uv_timer_init(&w->loop, &w->backoff);
        uv_timer_init(&w->loop, &w->trim);
        uv_timer_init(&w->loop, &w->tidy);
        w->wake.data = w->adopt.data = w->drain.data = w->late.data = w->backoff.data = w;
        w->trim.data = w->tidy.data = w;
        uv_timer_start(&w->tidy, on_tidy, OE_HTTP_TIDY_MS, OE_HTTP_TIDY_MS);
        rc = uv_thread_create(&w->thread, worker_main, w);
        if (rc == 0)
            return 0;
        uv_close((uv_handle_t *)&w->wake, on_noop_close);
        uv_close((uv_handle_t *)&w->adopt, on_noop_close);
        uv_close((uv_handle_t *)&w->drain, on_noop_close);
        uv_close((uv_handle_t *)&w->late, on_noop_close);
        uv_close((uv_handle_t *)&w->backoff, on_noop_close);
        uv_close((uv_handle_t *)&w->trim, on_noop_close);
        uv_close((uv_handle_t *)&w->tidy, on_noop_close);
    }
    for (size_t i = 0; i < w->nlisteners; i++)
        uv_close((uv_handle_t *)&w->listeners[i].tcp, on_noop_close);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
    free(w->listeners);
    free(w->counts);
    w->http = NULL;
    return rc;
}

void oe_http__worker_stop(worker_t *w)
{
    uv_async_send(&w->wake);
}

/* Also for a worker that may have ended already (its generation drains since a reload). */
void oe_http__worker_hurry(worker_t *w)
{
    pthread_mutex_lock(&handoff_lock);
    if (!w->wake_closed)
        uv_async_send(&w->wake);
    pthread_mutex_unlock(&handoff_lock);
}

/* ---- hand-over to the live generation ------------------------------------------------------- */

/* A draining worker's connection that is quiescent (no request in progress, nothing to write,
 * no input half-read) moves, socket, TLS session and protocol engine as they are, to a worker of
 * the live generation: the client sees nothing of the reload and needs no new connection. It
 * moves only when the live generation serves the same certificate on the same address;
 * otherwise it drains here (GOAWAY, connection: close). */
struct handoff {
    int fd;
    listener_t *l;
    const cert_info_t *cert;
    oe_tls_conn_t *tls;
    const proto_t *proto;
    void *engine;
    char *sni;
    handoff_t *next;
};

/* The started, not yet stopped generations in start order, under the lock; the last one takes
 * the connections. (After a failed reload the previous one is the last again.) */
static oe_http_t **running;
static size_t nrunning;
static _Atomic(oe_http_t *) handoff_target; /* running[nrunning - 1], for unlocked peeks */

void oe_http__handoff_publish(oe_http_t *http)
{
    pthread_mutex_lock(&handoff_lock);
    running = oe_realloc(running, (nrunning + 1) * sizeof(*running));
    running[nrunning++] = http;
    atomic_store(&handoff_target, http);
    pthread_mutex_unlock(&handoff_lock);
}

/* After this no worker sends http's workers a connection, so they may stop. */
void oe_http__handoff_withdraw(oe_http_t *http)
{
    pthread_mutex_lock(&handoff_lock);
    for (size_t i = 0; i < nrunning; i++) {
        if (running[i] == http) {
            memmove(&running[i], &running[i + 1], (nrunning - i - 1) * sizeof(*running));
            nrunning--;
            break;
        }
    }
    atomic_store(&handoff_target, nrunning > 0 ? running[nrunning - 1] : NULL);
    if (nrunning == 0) {
        free(running);
        running = NULL;
    }
    pthread_mutex_unlock(&handoff_lock);
}

static const cert_info_t *same_cert(const oe_http_t *t, const cert_info_t *ci)
{
    for (size_t i = 0; ci != NULL && ci->pem.len > 0 && i < t->ncerts; i++)
        if (t->certs[i].pem.len == ci->pem.len &&
            memcmp(t->certs[i].pem.base, ci->pem.base, ci->pem.len) == 0)
            return &t->certs[i];
    return NULL;
}

/* Under the lock: the live generation's listener (on the worker c would go to) that takes c, and
 * the same certificate there; NULL when c cannot move. */
static listener_t *destination(const conn_t *c, const cert_info_t **ci)
{
    oe_http_t *t = atomic_load(&handoff_target);
    if (t == NULL || t == c->w->http)
        return NULL;
    worker_t *tw = &t->workers[c->w->index % t->nworkers];
    for (size_t i = 0; i < tw->nlisteners; i++) {
        listener_t *tl = &tw->listeners[i];
        if (tl->sock != c->l->sock || tl->conf->tls != (c->tls != NULL))
            continue;
        *ci = c->tls != NULL ? same_cert(t, c->cert) : NULL;
        return c->tls == NULL || *ci != NULL ? tl : NULL;
    }
    return NULL;
}

bool oe_http__conn_may_migrate(conn_t *c)
{
    if (!c->w->stopping || c->no_migrate)
        return false;
    const cert_info_t *ci;
    pthread_mutex_lock(&handoff_lock);
    bool ok = destination(c, &ci) != NULL;
    pthread_mutex_unlock(&handoff_lock);
    c->no_migrate = !ok; /* for good: no live generation, or not this address or certificate */
    return ok;
}

static bool quiescent(conn_t *c)
{
    if (c->closing || c->close_after_write || c->lingering || c->writing || !c->handshake_done ||
        oe_http__conn_queued(c) > 0 || (c->tls != NULL && oe_tls_pending_in(c->tls) > 0))
        return false;
    return c->engine != NULL && c->proto->idle(c);
}

/* Returns true when c has been handed over (and is closing here). */
static bool conn_migrate(conn_t *c)
{
    if (!c->w->stopping || c->no_migrate || !quiescent(c))
        return false;
    handoff_t *m = NULL;
    pthread_mutex_lock(&handoff_lock);
    const cert_info_t *ci = NULL;
    listener_t *tl = destination(c, &ci);
    uv_os_fd_t fd;
    if (tl != NULL && uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 &&
        (m = calloc(1, sizeof(*m))) != NULL) {
        *m = (handoff_t){.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0),
                         .l = tl,
                         .cert = ci,
                         .tls = c->tls,
                         .proto = c->proto,
                         .engine = c->engine,
                         .sni = c->sni};
        if (m->fd < 0) {
            free(m);
            m = NULL;
        } else {
            worker_t *tw = tl->w;
            handoff_t **p = &tw->inbox;
            while (*p != NULL)
                p = &(*p)->next;
            *p = m;
            uv_async_send(&tw->adopt);
        }
    }
    pthread_mutex_unlock(&handoff_lock);
    if (m == NULL) {
        c->no_migrate = true;
        oe_http__conn_drain(c);
        return false;
    }
    /* The engines are the new worker's now; closing our handle leaves the socket open (dup). */
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->tls = NULL;
    c->engine = NULL;
    c->sni = NULL;
    c->cert = NULL;
    oe_http__conn_close(c);
    return true;
}

/* Puts c on w's list; the caller has counted it in http->nconns. */
static void conn_link(worker_t *w, conn_t *c, listener_t *l)
{
    c->w = w;
    c->l = l;
    c->listen_index = l->listen_index;
    w->nconns++;
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
}

static void adopt(worker_t *w, handoff_t *m)
{
    conn_t *c = oe_calloc(1, sizeof(*c));
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    /* Counted here, uncounted in the old generation when its handle closes: a moved connection
     * may take the new generation past max-connections, never a new one. */
    atomic_fetch_add_explicit(&w->http->nconns[m->l->listen_index], 1, memory_order_relaxed);
    conn_link(w, c, m->l);
    c->tls = m->tls;
    c->proto = m->proto;
    c->engine = m->engine;
    c->sni = m->sni;
    c->cert = m->cert;
    c->handshake_done = true;
    c->proto->adopt(c);
    if (uv_tcp_open(&c->tcp, m->fd) < 0) {
        close(m->fd);
        oe_http__conn_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (w->stopping && !conn_migrate(c)) /* retired meanwhile: on to the newest */
        oe_http__conn_drain(c);
}

static void on_adopt(uv_async_t *a)
{
    worker_t *w = a->data;
    pthread_mutex_lock(&handoff_lock);
    handoff_t *m = w->inbox;
    w->inbox = NULL;
    pthread_mutex_unlock(&handoff_lock);
    while (m != NULL) {
        handoff_t *next = m->next;
        adopt(w, m);
        free(m);
        m = next;
    }
}

/* ---- connections ----------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    /* One buffer per worker thread: read_cb consumes it before the next read. */
    static __thread char rbuf[READ_BUF];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

/* One timer per connection; what it means depends on the state: TLS handshake, request
 * headers, keep-alive (the engines decide what an idle connection's expiry does), lingering. */
static void on_timeout(uv_timer_t *t)
{
    conn_t *c = t->data;
    if (c->lingering)
        oe_http__conn_close(c);
    else if (c->engine != NULL)
        c->proto->timeout(c);
    else {
        oe_log_debug(TAG, "connection timed out");
        if (c->tls != NULL && !c->handshake_done && !c->tls_error)
            oe_stat_inc(OE_STAT_TLS_FAIL_TIMEOUT);
        oe_http__conn_close(c);
    }
}

void oe_http__conn_set_timer(conn_t *c, uint64_t ms)
{
    if (!c->closing && !c->lingering)
        uv_timer_start(&c->timer, on_timeout, ms, 0);
}

void oe_http__conn_pause_read(conn_t *c)
{
    if (!c->read_paused && !c->closing) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->read_paused = true;
    }
}

void oe_http__conn_resume_read(conn_t *c)
{
    if (c->read_paused && !c->closing) {
        c->read_paused = false;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

/* Is a descriptor still free beside the one just accepted? */
static bool fd_headroom(uv_stream_t *server)
{
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)server, &fd) < 0)
        return true;
    int probe = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (probe >= 0) {
        close(probe);
        return true;
    }
    return errno != EMFILE && errno != ENFILE;
}

static void on_backoff(uv_timer_t *t)
{
    worker_t *w = t->data;
    for (size_t i = 0; i < w->nlisteners && !w->stopping; i++) {
        listener_t *l = &w->listeners[i];
        if (l->held) {
            l->held = false;
            on_connection((uv_stream_t *)&l->tcp, 0);
        }
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    listener_t *l = server->data;
    worker_t *w = l->w;
    if (status < 0)
        return;
    /* The process is out of descriptors: leave the accepted connection inside libuv, which then
     * stops polling the listener (no accept(2) failing in a busy loop, the backlog waits in the
     * kernel), and look again in 100 ms. Probing first also means that uv_tcp_init below finds
     * a free descriptor for libuv's own reserve (its EMFILE trick) when it lost it. */
    if (!fd_headroom(server)) {
        uint64_t now = uv_now(&w->loop);
        if (w->fds_logged == 0 || now - w->fds_logged > 10000) {
            oe_log_warn(TAG, "out of file descriptors: new connections wait; raise the limit "
                             "(ulimit -n, LimitNOFILE=) or lower max-connections");
            w->fds_logged = now;
        }
        l->held = true;
        if (!uv_is_active((uv_handle_t *)&w->backoff))
            uv_timer_start(&w->backoff, on_backoff, 100, 0);
        return;
    }
    conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    uv_tcp_init(&w->loop, &c->tcp);
    c->tcp.data = c;
    c->handles = 1;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
        return;
    }
    /* One count for all workers: the kernel does not spread connections evenly over the
     * SO_REUSEPORT sockets, so a per-worker share would refuse before max-connections. */
    atomic_long *open = &w->http->nconns[l->listen_index];
    listen_count_t *count = &w->counts[l->listen_index];
    if (atomic_fetch_add_explicit(open, 1, memory_order_relaxed) >= l->conf->max_connections) {
        atomic_fetch_sub_explicit(open, 1, memory_order_relaxed);
        uint64_t now = uv_now(&w->loop);
        if (now - count->limit_logged > 10000 || count->limit_logged == 0) {
            oe_log_warn(TAG, "[listen \"%s\"]: max-connections (%lld) reached; refusing new ones",
                        l->conf->name, l->conf->max_connections);
            count->limit_logged = now;
        }
        oe_stat_inc(OE_STAT_CONN_REFUSED);
        uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
        return;
    }
    conn_link(w, c, l);
    oe_stat_inc(OE_STAT_CONN_ACCEPTED);
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    c->handles++;
    if (l->conf->tls) {
        c->tls = oe_tls_conn_new_server(w->http->tls);
        if (c->tls == NULL) {
            oe_http__conn_close(c);
            return;
        }
        oe_http__conn_set_timer(c, l->conf->handshake_timeout);
    } else {
        c->handshake_done = true;
        if (engine_start(c, NULL) < 0) {
            oe_http__conn_close(c);
            return;
        }
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* glibc keeps the memory of freed connections (TLS record buffers, nghttp2 sessions, read and
 * write buffers) in its arenas: after 2,000 TLS connections had each fetched 64 KiB and closed,
 * the process still held 138 MB; malloc_trim(0) brought it to 5 MB (numbers in README.md). A worker
 * whose last connection closed trims once it has stayed idle for OE_HTTP_TRIM_IDLE_MS, so a client
 * that opens connections one after another does not pay for a trim each time. */
static void on_trim(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->nconns == 0)
        oe_http__h2_spares_free(w);
#ifdef __GLIBC__
    if (w->nconns == 0)
        malloc_trim(0);
#endif
}

/* Gives back what an idle connection does not need: its output buffers, the pages of its TLS
 * record buffers and what the engine can spare. */
static void conn_trim(conn_t *c)
{
    if (c->writing || oe_http__conn_queued(c) > 0)
        return;
    free(c->wbuf);
    c->wbuf = NULL;
    c->wcap = 0;
    oe_buf_free(&c->out);
    if (c->tls != NULL) {
        oe_tls_release_out(c->tls, 0);
        if (oe_tls_pending_in(c->tls) == 0)
            oe_tls_trim(c->tls);
    }
    if (c->engine != NULL && c->proto->trim != NULL)
        c->proto->trim(c);
    c->dirty = false;
}

/* Every OE_HTTP_TIDY_MS: a connection that neither read nor wrote during a whole round is
 * trimmed, once. Busy connections are never touched; an idle one within two rounds. */
static void on_tidy(uv_timer_t *t)
{
    worker_t *w = t->data;
    for (conn_t *c = w->conns; c != NULL; c = c->next) {
        if (c->active) {
            c->active = false;
            continue;
        }
        if (c->dirty && c->handshake_done && !c->closing && !c->lingering)
            conn_trim(c);
    }
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->handles > 0)
        return;
    worker_t *w = c->w;
    if (c->proto != NULL)
        c->proto->free(c);
    oe_tls_conn_free(c->tls);
    free(c->sni);
    free(c->wbuf);
    oe_buf_free(&c->out);
    if (w != NULL) {
        if (c->prev != NULL)
            c->prev->next = c->next;
        else
            w->conns = c->next;
        if (c->next != NULL)
            c->next->prev = c->prev;
        atomic_fetch_sub_explicit(&w->http->nconns[c->listen_index], 1, memory_order_relaxed);
        oe_stat_inc(OE_STAT_CONN_CLOSED);
        w->nconns--;
        free(c);
        if (w->nconns == 0 && !w->stopping)
            uv_timer_start(&w->trim, on_trim, OE_HTTP_TRIM_IDLE_MS, 0);
        worker_maybe_finish(w);
    } else {
        free(c);
    }
}

void oe_http__conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    /* Handlers waiting on this connection hear of it now; the engines are freed when the
     * handles have closed, so callers up the stack still see valid state. */
    if (c->engine != NULL)
        c->proto->abort(c);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

size_t oe_http__conn_queued(const conn_t *c)
{
    size_t n = (c->writing ? c->wlen : 0) + c->out.len;
    return n + (c->tls != NULL ? oe_tls_pending_out(c->tls).len : 0);
}

uint64_t oe_http__conn_sent(const conn_t *c)
{
    size_t left = c->writing ? uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp) : 0;
    uint64_t n = c->sent + (c->writing && left < c->wlen ? c->wlen - left : 0);
    /* Less what the kernel still holds unacknowledged (SIOCOUTQ): its send buffer can hold
     * megabytes, and libuv writes again only once a third of it is free, so a client reading
     * slowly would otherwise look stalled for tens of seconds at a time. */
    uv_os_fd_t fd;
    int outq;
    if (uv_fileno((const uv_handle_t *)&c->tcp, &fd) == 0 && ioctl(fd, SIOCOUTQ, &outq) == 0 &&
        outq > 0 && (uint64_t)outq <= n)
        n -= (uint64_t)outq;
    return n;
}

uint8_t *oe_http__conn_reserve(conn_t *c, size_t n)
{
    if (c->closing || c->notified || c->lingering) /* nothing may follow close_notify */
        return NULL;
    /* A whole TLS record's worth at once, not doubling up from 64 bytes on every response. */
    oe_buf_reserve(&c->out, c->out.cap == 0 ? OE_MAX(n, (size_t)OUT_FIRST) : n);
    return c->out.base + c->out.len;
}

void oe_http__conn_commit(conn_t *c, size_t n)
{
    c->out.len += n;
}

int oe_http__conn_send(conn_t *c, const void *p, size_t n)
{
    if (n == 0)
        return c->closing || c->notified || c->lingering ? OE_EINVAL : 0;
    uint8_t *dst = oe_http__conn_reserve(c, n);
    if (dst == NULL)
        return OE_EINVAL;
    memcpy(dst, p, n);
    c->out.len += n;
    return 0;
}

/* TLS: encrypts the plaintext gathered since the last flush, so that a response's head and
 * body, and the frames of several HTTP/2 streams, share full records instead of one record per
 * send. Returns false when the connection failed. */
static bool seal(conn_t *c)
{
    if (c->tls == NULL || c->out.len == 0)
        return true;
    ssize_t rc = oe_tls_write(c->tls, c->out.base, c->out.len);
    c->out.len = 0;
    if (rc < 0) {
        oe_http__conn_close(c);
        return false;
    }
    return true;
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    if (c->closing || c->lingering)
        return;
    if (status < 0) {
        oe_http__conn_close(c);
        return;
    }
    c->sent += c->wlen;
    oe_http__conn_flush(c);
    if (c->closing || oe_http__conn_queued(c) >= OE_HTTP_OUT_HIGH)
        return;
    /* Room again: let the engine produce more, then read again if it paused for output. */
    if (c->engine != NULL)
        c->proto->drain(c);
    /* Nothing more to write. A connection that keeps asking (OUT_KEEP_AFTER writes so far)
     * keeps output buffers of up to OUT_KEEP for its next responses: giving them back here
     * made every burst of small responses allocate them again and grow them by realloc,
     * copying what they held (malloc, realloc and their copies were about 8% of an HTTP/2
     * request for a small file); the tidy timer gives them back once the connection idles
     * for a round (conn_trim), as it does the TLS record buffers' pages. Everything else goes
     * now: larger buffers (a download's, up to OE_HTTP_OUT_HIGH each: kept until the tidy
     * timer, 200 connections that had each downloaded 1 MiB held 160 MB, which glibc kept),
     * and those of a connection that has only just begun (1,000 connections that had each
     * made a handshake and idled held 12 KiB more each when they kept theirs: the buffers
     * of the connections opened next no longer reused them, and the heap stayed grown). */
    if (c->writes < OUT_KEEP_AFTER)
        c->writes++;
    if (!c->writing && !c->closing) {
        size_t keep = c->writes < OUT_KEEP_AFTER ? 0 : OUT_KEEP;
        if (c->wcap > keep) {
            free(c->wbuf);
            c->wbuf = NULL;
            c->wcap = 0;
        }
        if (c->out.len == 0 && c->out.cap > keep)
            oe_buf_free(&c->out);
        if (c->tls != NULL)
            oe_tls_release_out(c->tls, keep);
        if (c->w->stopping)
            conn_migrate(c);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    if (status < 0 && !c->closing)
        oe_http__conn_close(c);
}

/* Everything is written: send FIN, and read (dropping the bytes) until the client's FIN. Closing
 * with unread input would send a reset, and a reset can destroy the tail of the last response
 * before the client reads it. */
static void linger(conn_t *c)
{
    c->lingering = true;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        oe_http__conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, OE_HTTP_LINGER_MS, 0);
    if (c->read_paused) {
        c->read_paused = false;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

void oe_http__conn_close_graceful(conn_t *c)
{
    if (c->closing || c->close_after_write)
        return;
    c->close_after_write = true;
    oe_http__conn_flush(c);
}

void oe_http__conn_drain(conn_t *c)
{
    /* A TLS handshake in progress finishes first (handshake_done() comes back here). */
    if (c->closing || c->close_after_write || !c->handshake_done)
        return;
    if (c->engine != NULL)
        c->proto->goaway(c);
}

void oe_http__conn_flush(conn_t *c)
{
    if (c->writing || c->closing || c->lingering)
        return;
    if (c->handshake_done && !seal(c))
        return;
    oe_slice_t pending =
        c->tls != NULL ? oe_tls_pending_out(c->tls) : (oe_slice_t){c->out.base, c->out.len};
    if (c->close_after_write && c->tls != NULL && c->handshake_done && !c->notified &&
        !c->tls_error) {
        /* The TLS way to say "that was all": the client can tell a complete close from a cut.
         * It goes in the same write as the end of the response (close_after_write: nothing
         * more will be sent), not in a write of its own after the response's write completed:
         * that cost the client another wake-up per connection. */
        c->notified = true;
        if (oe_tls_close_notify(c->tls) == 0)
            pending = oe_tls_pending_out(c->tls);
    }
    if (pending.len == 0) {
        if (c->close_after_write)
            linger(c);
        return;
    }
    if (c->tls != NULL) {
        /* The ciphertext's buffer itself goes to the socket; the engine gets our spare one. */
        pending = oe_tls_take_out(c->tls, &c->wbuf, &c->wcap);
    } else {
        if (c->wcap < pending.len) {
            free(c->wbuf);
            c->wcap = OE_MAX(pending.len, (size_t)16384);
            c->wbuf = malloc(c->wcap);
            if (c->wbuf == NULL) {
                c->wcap = 0;
                oe_http__conn_close(c);
                return;
            }
        }
        memcpy(c->wbuf, pending.base, pending.len);
        pending.base = c->wbuf;
        c->out.len = 0;
    }
    c->wlen = pending.len;
    c->active = c->dirty = true;
    uv_buf_t b = uv_buf_init((char *)pending.base, (unsigned)c->wlen);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        oe_http__conn_close(c);
        return;
    }
    c->writing = true;
}

/* ALPN selection, the one place that names the engines: "h2" is HTTP/2, anything else (also no
 * ALPN, and plain connections: alpn NULL) HTTP/1.1. */
static int engine_start(conn_t *c, const char *alpn)
{
    /* A TLS-ALPN-01 validation (RFC 8737 §3): the handshake was all; close. */
    if (alpn != NULL && strcmp(alpn, OE_TLS_ACME_ALPN) == 0)
        return OE_EINVAL;
    c->proto = alpn != NULL && strcmp(alpn, "h2") == 0 ? &oe_http__h2 : &oe_http__h1;
    return c->proto->init(c);
}

/* The handshake finished: pick the engine by ALPN. */
static int handshake_done(conn_t *c)
{
    c->handshake_done = true;
    const oe_tls_cert_t *cert = oe_tls_conn_cert(c->tls);
    c->cert = cert != NULL ? oe_tls_cert_data(cert) : NULL;
    const char *sni = oe_tls_sni(c->tls);
    if (sni != NULL) {
        c->sni = oe_strdup(sni);
        for (char *p = c->sni; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    return engine_start(c, oe_tls_alpn(c->tls));
}

static int plaintext(conn_t *c, const uint8_t *p, size_t n)
{
    return c->proto->input(c, p, n);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread == 0)
        return;
    c->active = c->dirty = true;
    if (nread < 0) {
        oe_http__conn_close(c);
        return;
    }
    c->w->reads++;
    if (c->lingering) { /* see linger(): dropped unread, up to a bound */
        c->linger_bytes += (uint64_t)nread;
        if (c->linger_bytes > LINGER_BYTES)
            oe_http__conn_close(c);
        return;
    }
    if (c->close_after_write)
        return; /* only finishing: what the client still sends is not read */
    if (c->tls == NULL) {
        if (plaintext(c, (const uint8_t *)buf->base, (size_t)nread) < 0) {
            oe_http__conn_flush(c);
            c->close_after_write = true;
            oe_http__conn_pause_read(c);
        }
        oe_http__conn_flush(c);
        if (c->w->stopping)
            conn_migrate(c);
        return;
    }
    if (oe_tls_feed(c->tls, (const uint8_t *)buf->base, (size_t)nread) < 0) {
        oe_http__conn_close(c);
        return;
    }
    bool was_done = c->handshake_done;
    if (!c->handshake_done) {
        int rc = oe_tls_handshake(c->tls);
        if (rc == OE_TLS_WANT_IO) {
            oe_http__conn_flush(c);
            return;
        }
        if (rc == 0)
            oe_stat_inc(OE_STAT_TLS_OK);
        if (rc < 0 || handshake_done(c) < 0) {
            char why[256];
            oe_tls_conn_strerror(c->tls, why, sizeof(why));
            oe_log_debug(TAG, "TLS handshake failed: %s", why);
            oe_stat_inc(rc < 0 ? OE_STAT_TLS_FAIL_PROTOCOL + oe_tls_conn_fail_reason(c->tls)
                               : OE_STAT_TLS_FAIL_PROTOCOL);
            c->tls_error = true;
            c->close_after_write = true;
            oe_http__conn_pause_read(c);
            oe_http__conn_flush(c);
            return;
        }
    }
    static __thread uint8_t pbuf[READ_BUF];
    for (;;) {
        ssize_t r = oe_tls_read(c->tls, pbuf, sizeof(pbuf));
        if (r == OE_TLS_WANT_IO)
            break;
        if (r <= 0) { /* close_notify or an error */
            c->tls_error = r != OE_TLS_ECLOSED;
            c->close_after_write = true;
            oe_http__conn_pause_read(c);
            break;
        }
        if (plaintext(c, pbuf, (size_t)r) < 0) {
            c->close_after_write = true;
            oe_http__conn_pause_read(c);
            break;
        }
        if (c->closing)
            return;
    }
    /* Accepted before the worker began to drain, handshake finished after: drain it now. */
    if (!was_done && c->w->stopping && !oe_http__conn_may_migrate(c))
        oe_http__conn_drain(c);
    oe_http__conn_flush(c);
    if (c->w->stopping)
        conn_migrate(c);
}
