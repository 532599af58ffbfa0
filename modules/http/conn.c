/*
 * Worker threads, listeners and connections. A connection reads ciphertext (or plain bytes),
 * runs the TLS engine, hands plaintext to the protocol engine (h1 or h2, chosen by ALPN), and
 * writes whatever the engines produced. Output is copied into one write in flight at a time;
 * above OE_HTTP_OUT_HIGH queued bytes the engines stop producing and reading pauses, so a slow
 * reader costs bounded memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http_int.h"

#define READ_BUF 65536

/* Lingering close bounds. 2 s lets a client on a slow path finish a body it sent before it
 * could read our answer, and costs an attacker's connection no more than the header time-out
 * does; 256 KiB is four times the default max-body-size, more than a client has in flight in
 * socket buffers on the paths we serve, and small enough that discarding it costs little. */
#define LINGER_MS    2000
#define LINGER_BYTES (256 * 1024)

static void on_conn_handle_closed(uv_handle_t *h);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* ---- worker -------------------------------------------------------------------------------- */

const char *worker_date(worker_t *w)
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
    uv_close((uv_handle_t *)&w->wake, on_noop_close);
    uv_close((uv_handle_t *)&w->drain, on_noop_close);
    uv_close((uv_handle_t *)&w->backoff, on_noop_close);
}

static void on_drain_deadline(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->nconns > 0)
        oe_log_info(TAG, "worker %u: closing %zu connection(s) at the shutdown deadline", w->id,
                    w->nconns);
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        conn_close(c);
    }
}

/* Runs on the worker's thread when worker_stop() woke it. */
static void on_wake(uv_async_t *a)
{
    worker_t *w = a->data;
    if (w->stopping)
        return;
    w->stopping = true;
    for (size_t i = 0; i < w->nlisteners; i++)
        uv_close((uv_handle_t *)&w->listeners[i].tcp, on_noop_close);
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (c->h2 != NULL)
            h2_goaway(c);
        else if (c->h1 == NULL || h1_idle(c))
            conn_close(c);
    }
    uv_timer_start(&w->drain, on_drain_deadline, w->http->shutdown_timeout, 0);
    worker_maybe_finish(w);
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    for (size_t i = 0; i < w->http->nhooks; i++)
        w->hook_state[i] = w->http->hooks[i].start(&w->loop, w->http->hooks[i].data);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    free(w->listeners);
    uv_loop_close(&w->loop);
}

static void on_connection(uv_stream_t *server, int status);

static int listen_on(worker_t *w, listener_t *l, const oe_sockaddr_t *a)
{
    unsigned flags = UV_TCP_REUSEPORT;
    if (a->ss.ss_family == AF_INET6)
        flags |= UV_TCP_IPV6ONLY;
    int rc = uv_tcp_init_ex(&w->loop, &l->tcp, a->ss.ss_family);
    if (rc == 0) {
        l->tcp.data = l;
        rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&a->ss, flags);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
        if (rc < 0)
            uv_close((uv_handle_t *)&l->tcp, on_noop_close);
    }
    if (rc < 0)
        oe_log_error(TAG, "cannot listen on %s: %s", a->text, uv_strerror(rc));
    return rc;
}

int worker_start(oe_http_t *http, worker_t *w)
{
    static unsigned ids;
    *w = (worker_t){.http = http, .id = ids++};
    int rc = uv_loop_init(&w->loop);
    if (rc < 0)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < http->nlistens; i++)
        n += http->listens[i]->addresses.n;
    w->listeners = oe_calloc(n ? n : 1, sizeof(*w->listeners));
    for (size_t i = 0; i < http->nlistens && rc == 0; i++) {
        for (size_t a = 0; a < http->listens[i]->addresses.n && rc == 0; a++) {
            listener_t *l = &w->listeners[w->nlisteners];
            l->w = w;
            l->conf = http->listens[i];
            rc = listen_on(w, l, &http->listens[i]->addresses.v[a]);
            if (rc == 0)
                w->nlisteners++;
        }
    }
    if (rc == 0) {
        uv_async_init(&w->loop, &w->wake, on_wake);
        uv_timer_init(&w->loop, &w->drain);
        uv_timer_init(&w->loop, &w->backoff);
        w->wake.data = w->drain.data = w->backoff.data = w;
        rc = uv_thread_create(&w->thread, worker_main, w);
        if (rc == 0)
            return 0;
        uv_close((uv_handle_t *)&w->wake, on_noop_close);
        uv_close((uv_handle_t *)&w->drain, on_noop_close);
        uv_close((uv_handle_t *)&w->backoff, on_noop_close);
    }
    for (size_t i = 0; i < w->nlisteners; i++)
        uv_close((uv_handle_t *)&w->listeners[i].tcp, on_noop_close);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
    free(w->listeners);
    w->http = NULL;
    return rc;
}

void worker_stop(worker_t *w)
{
    uv_async_send(&w->wake);
}

/* ---- connections ----------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    /* One buffer per worker thread: read_cb consumes it before the next read. */
    static __thread char rbuf[READ_BUF];
    buf->base = rbuf;
    buf->len = sizeof(rbuf);
}

static void on_timeout(uv_timer_t *t)
{
    conn_t *c = t->data;
    if (c->h2 != NULL) {
        h2_timeout(c);
        return;
    }
    if (c->h1 != NULL && h1_timeout(c))
        return;
    oe_log_debug(TAG, "connection timed out");
    conn_close(c);
}

void conn_set_timer(conn_t *c, uint64_t ms)
{
    if (!c->closing)
        uv_timer_start(&c->timer, on_timeout, ms, 0);
}

void conn_pause_read(conn_t *c)
{
    if (!c->read_paused && !c->closing) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->read_paused = true;
    }
}

void conn_resume_read(conn_t *c)
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
    if (status < 0 || w->stopping)
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
    size_t index = 0;
    for (size_t i = 0; i < w->http->nlistens; i++)
        if (w->http->listens[i] == l->conf)
            index = i;
    /* One count for all workers: the kernel does not spread connections evenly over the
     * SO_REUSEPORT sockets, so a per-worker share would refuse before max-connections. */
    atomic_llong *open = &w->http->nconns[index];
    if (atomic_fetch_add_explicit(open, 1, memory_order_relaxed) >= l->conf->max_connections) {
        atomic_fetch_sub_explicit(open, 1, memory_order_relaxed);
        uint64_t now = uv_now(&w->loop);
        if (now - l->limit_logged > 10000 || l->limit_logged == 0) {
            oe_log_warn(TAG, "[listen \"%s\"]: max-connections (%lld) reached; refusing new ones",
                        l->conf->name, l->conf->max_connections);
            l->limit_logged = now;
        }
        uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
        return;
    }
    c->w = w;
    c->l = l;
    c->listen_index = index;
    l->nconns++;
    w->nconns++;
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    c->handles++;
    if (l->conf->tls) {
        c->tls = oe_tls_conn_new_server(w->http->tls);
        if (c->tls == NULL) {
            conn_close(c);
            return;
        }
        conn_set_timer(c, l->conf->handshake_timeout);
    } else {
        c->handshake_done = true;
        if (h1_init(c) < 0) {
            conn_close(c);
            return;
        }
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->handles > 0)
        return;
    worker_t *w = c->w;
    h1_free(c);
    h2_free(c);
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
        c->l->nconns--;
        atomic_fetch_sub_explicit(&w->http->nconns[c->listen_index], 1, memory_order_relaxed);
        w->nconns--;
        free(c);
        worker_maybe_finish(w);
    } else {
        free(c);
    }
}

void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    /* Handlers waiting on this connection hear of it now; the engines are freed when the
     * handles have closed, so callers up the stack still see valid state. */
    h1_abort(c);
    h2_abort(c);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

size_t conn_queued(const conn_t *c)
{
    size_t n = c->writing ? c->wlen : 0;
    return n + (c->tls != NULL ? oe_tls_pending_out(c->tls).len : c->out.len);
}

uint64_t conn_sent(const conn_t *c)
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

int conn_send(conn_t *c, const void *p, size_t n)
{
    if (c->closing)
        return OE_EINVAL;
    if (c->tls == NULL) {
        oe_buf_append(&c->out, p, n);
        return 0;
    }
    ssize_t rc = oe_tls_write(c->tls, p, n);
    if (rc < 0) {
        conn_close(c);
        return (int)rc;
    }
    return 0;
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    c->sent += c->wlen;
    conn_flush(c);
    if (c->closing || conn_queued(c) >= OE_HTTP_OUT_HIGH)
        return;
    /* Room again: let the engine produce more, then read again if it paused for output. */
    if (c->h2 != NULL)
        h2_drain(c);
    else if (c->h1 != NULL)
        h1_drain(c);
    /* Nothing more to write: give the copy buffer back. It grows to the largest flush (up to
     * OE_HTTP_OUT_HIGH), and idle keep-alive connections would otherwise each hold it. */
    if (!c->writing) {
        free(c->wbuf);
        c->wbuf = NULL;
        c->wcap = 0;
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    if (status < 0 && !c->closing)
        conn_close(c);
}

/* The last response is written and the connection should end. An HTTP/1.1 client may still be
 * sending (a body over max-body-size answered at its headers): closing now with its bytes
 * unread makes the kernel send a reset, which can destroy our response before the client reads
 * it. So, as RFC 9112 §9.6 describes, close in stages: TLS close_notify, then our half of TCP
 * (FIN), then read and drop what the client still sends until it closes, or LINGER_MS or
 * LINGER_BYTES have passed, and only then close. */
static void conn_end(conn_t *c)
{
    if (c->h1 == NULL) {
        conn_close(c);
        return;
    }
    if (c->lingering)
        return;
    if (c->tls != NULL && !c->notify_sent) {
        c->notify_sent = true;
        if (oe_tls_close_notify(c->tls) == OE_OK && oe_tls_pending_out(c->tls).len > 0) {
            conn_flush(c); /* comes back here once the alert is written */
            return;
        }
    }
    c->lingering = true;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        conn_close(c);
        return;
    }
    conn_set_timer(c, LINGER_MS);
    conn_resume_read(c);
}

void conn_flush(conn_t *c)
{
    if (c->writing || c->closing)
        return;
    oe_slice_t pending =
        c->tls != NULL ? oe_tls_pending_out(c->tls) : (oe_slice_t){c->out.base, c->out.len};
    if (pending.len == 0) {
        if (c->close_after_write)
            conn_end(c);
        return;
    }
    if (c->wcap < pending.len) {
        free(c->wbuf);
        c->wcap = OE_MAX(pending.len, (size_t)16384);
        c->wbuf = malloc(c->wcap);
        if (c->wbuf == NULL) {
            c->wcap = 0;
            conn_close(c);
            return;
        }
    }
    memcpy(c->wbuf, pending.base, pending.len);
    c->wlen = pending.len;
    if (c->tls != NULL)
        oe_tls_consume_out(c->tls, pending.len);
    else
        c->out.len = 0;
    uv_buf_t b = uv_buf_init((char *)c->wbuf, (unsigned)c->wlen);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        conn_close(c);
        return;
    }
    c->writing = true;
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
    const char *alpn = oe_tls_alpn(c->tls);
    if (alpn != NULL && strcmp(alpn, "h2") == 0)
        return h2_init(c);
    return h1_init(c);
}

static int plaintext(conn_t *c, const uint8_t *p, size_t n)
{
    return c->h2 != NULL ? h2_input(c, p, n) : h1_input(c, p, n);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (c->lingering) { /* see conn_end(): dropped unread, up to a bound */
        c->linger_bytes += (uint64_t)nread;
        if (c->linger_bytes > LINGER_BYTES)
            conn_close(c);
        return;
    }
    if (c->tls == NULL) {
        if (plaintext(c, (const uint8_t *)buf->base, (size_t)nread) < 0) {
            conn_flush(c);
            c->close_after_write = true;
            conn_pause_read(c);
        }
        conn_flush(c);
        return;
    }
    if (oe_tls_feed(c->tls, (const uint8_t *)buf->base, (size_t)nread) < 0) {
        conn_close(c);
        return;
    }
    if (!c->handshake_done) {
        int rc = oe_tls_handshake(c->tls);
        if (rc == OE_TLS_WANT_IO) {
            conn_flush(c);
            return;
        }
        if (rc < 0 || handshake_done(c) < 0) {
            char why[256];
            oe_tls_conn_strerror(c->tls, why, sizeof(why));
            oe_log_debug(TAG, "TLS handshake failed: %s", why);
            c->close_after_write = true;
            conn_pause_read(c);
            conn_flush(c);
            return;
        }
    }
    static __thread uint8_t pbuf[READ_BUF];
    for (;;) {
        ssize_t r = oe_tls_read(c->tls, pbuf, sizeof(pbuf));
        if (r == OE_TLS_WANT_IO)
            break;
        if (r <= 0) { /* close_notify or an error */
            c->close_after_write = true;
            conn_pause_read(c);
            break;
        }
        if (plaintext(c, pbuf, (size_t)r) < 0) {
            c->close_after_write = true;
            conn_pause_read(c);
            break;
        }
        if (c->closing)
            return;
    }
    conn_flush(c);
}
