/*
 * libFuzzer target: the HTTP/1.1 request path (llhttp callbacks into our request builder, limits,
 * pipelining, dispatch and the response writer) on a real connection object over a socketpair.
 * The input is split in two reads at a position taken from its first byte, so requests that
 * straddle reads are covered too.
 */
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

static void echo(oe_req_t *req, void *data)
{
    oe_resp_header(req, "content-type", "application/octet-stream");
    oe_resp_send(req, 200, req->body.base, req->body.len);
}

static void setup(void)
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
    site = (oe_site_t){.name = "demo", .hosts = {hosts, 1}};
    listens[0] = &listen_conf;
    sites[0] = &site;
    http = (oe_http_t){.listens = listens,
                       .nlistens = 1,
                       .sites = sites,
                       .nsites = 1,
                       .nworkers = 1,
                       .shutdown_timeout = 1000};
    oe_http_route(&http, NULL, OE_M_POST | OE_M_GET, "/echo", echo, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        return 0;
    worker_t w = {.http = &http};
    uv_loop_init(&w.loop);
    listen_count_t counts[1] = {{.nconns = 1}};
    w.counts = counts;
    listener_t l = {.w = &w, .conf = &listen_conf};
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
    if (h1_init(c) == 0 && size > 0) {
        size_t cut = size > 1 ? data[0] % size : size;
        h1_input(c, data, cut);
        uv_run(&w.loop, UV_RUN_NOWAIT);
        /* The connection may have closed and been freed (w.nconns counts it). */
        if (w.nconns > 0 && !c->closing && cut < size)
            h1_input(c, data + cut, size - cut);
        uv_run(&w.loop, UV_RUN_NOWAIT);
    }
    if (w.nconns > 0)
        conn_close(c);
    w.stopping = false;
    uv_run(&w.loop, UV_RUN_DEFAULT);
    uv_loop_close(&w.loop);
    close(sv[1]);
    return 0;
}
