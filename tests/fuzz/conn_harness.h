/*
 * The shared half of the fuzz targets that drive a protocol engine on a real connection object
 * over a socketpair (http1_request.c, http2_request.c): a plain-HTTP listener with small limits,
 * one site, an echo route, and one run of an engine over an input split in two reads at a
 * position taken from its first byte (so that frames and requests straddling reads are covered).
 * Included by exactly one .c per target.
 */
#ifndef OE_FUZZ_CONN_HARNESS_H
#define OE_FUZZ_CONN_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/log.h"
#include "http/http_int.h"

static oe_http_t http;
static oe_listen_conf_t listen_conf;
static oe_site_t site;
static const oe_listen_conf_t *listens[1];
static const oe_site_t *sites[1];
static const char *hosts[] = {"demo.test"};
static atomic_long nconns[1];

static void echo(oe_req_t *req, void *data)
{
    oe_resp_header(req, "content-type", "application/octet-stream");
    oe_resp_send(req, 200, req->body.base, req->body.len);
}

/* A streaming route (OE_M_STREAM, as the reverse proxy registers): the body is echoed piece by
 * piece as it arrives and acknowledged at once; a tunnel (WebSocket upgrade or extended CONNECT)
 * is opened and echoed the same way. */
static void stream_body(oe_req_t *req, const uint8_t *p, size_t n, bool fin)
{
    if (n > 0) {
        oe_resp_stream_write(req, p, n);
        oe_req_body_ack(req, n);
    }
    if (fin)
        oe_resp_stream_end(req);
}

static void stream_echo(oe_req_t *req, void *data)
{
    (void)data;
    req->on_body = stream_body;
    oe_resp_stream_start(req, req->upgrade.len == 0 ? 200 : req->version == 20 ? 200 : 101, -1);
    if (!req->body_stream) {
        oe_resp_stream_write(req, req->body.base, req->body.len);
        oe_resp_stream_end(req);
    }
}

static void harness_setup(void)
{
    oe_log_open(NULL, OE_LOG_ERROR, OE_LOG_TEXT);
    listen_conf = (oe_listen_conf_t){.name = "fuzz",
                                     .tls = false,
                                     .max_connections = 10,
                                     .handshake_timeout = 1000,
                                     .header_timeout = 1000,
                                     .keepalive_timeout = 1000,
                                     .max_header_size = 2048,
                                     .max_url_size = 512,
                                     .max_body_size = 1024,
                                     .max_headers = 16,
                                     .max_streams = 4,
                                     .max_pipelined = 4};
    site = (oe_site_t){.name = "demo", .hosts = {.v = hosts, .n = 1}};
    listens[0] = &listen_conf;
    sites[0] = &site;
    http = (oe_http_t){.listens = listens,
                       .nlistens = 1,
                       .sites = sites,
                       .nsites = 1,
                       .nworkers = 1,
                       .nconns = nconns,
                       .shutdown_timeout = 1000};
    oe_http_route(&http, NULL, OE_M_POST | OE_M_GET, "/echo", echo, NULL);
    oe_http_route(&http, NULL, OE_M_ANY | OE_M_OTHER | OE_M_STREAM, "/stream", stream_echo, NULL);
}

/* Feeds prefix (may be empty) and then data to a fresh connection run by the engine (its
 * init, then input), data in two reads, then closes the connection and runs its loop until every handle has
 * closed. */
static void harness_run(const uint8_t *data, size_t size, const uint8_t *prefix, size_t prefix_len,
                        const proto_t *engine)
{
    static int ready;
    if (!ready) {
        harness_setup();
        ready = 1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        return;
    worker_t w = {.http = &http};
    uv_loop_init(&w.loop);
    uv_timer_init(&w.loop, &w.trim); /* armed when the worker's last connection has closed */
    w.trim.data = &w;
    listen_count_t counts[1] = {{0}};
    w.counts = counts;
    listener_t l = {.w = &w, .conf = &listen_conf};
    atomic_store(&nconns[0], 1);
    conn_t *c = calloc(1, sizeof(*c));
    c->w = &w;
    c->l = &l;
    c->handshake_done = true;
    uv_tcp_init(&w.loop, &c->tcp);
    uv_tcp_open(&c->tcp, sv[0]);
    uv_timer_init(&w.loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    w.conns = c;
    w.nconns = 1;
    c->proto = engine;
    if (engine->init(c) == 0 && size > 0 &&
        (prefix_len == 0 || engine->input(c, prefix, prefix_len) == 0)) {
        size_t cut = size > 1 ? data[0] % size : size;
        engine->input(c, data, cut);
        uv_run(&w.loop, UV_RUN_NOWAIT);
        /* The connection may have closed and been freed (w.nconns counts it). */
        if (w.nconns > 0 && !c->closing && cut < size)
            engine->input(c, data + cut, size - cut);
        uv_run(&w.loop, UV_RUN_NOWAIT);
    }
    if (w.nconns > 0)
        oe_http__conn_close(c);
    w.stopping = false;
    /* The connection's handles finish closing (which arms the idle-trim timer), then the timer
     * is closed, so that the loop ends without waiting for it. */
    uv_run(&w.loop, UV_RUN_NOWAIT);
    uv_close((uv_handle_t *)&w.trim, NULL);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    oe_http__h2_spares_free(&w); /* as a worker does when it ends (conn.c: worker_main) */
    uv_loop_close(&w.loop);
    close(sv[1]);
}

#endif
