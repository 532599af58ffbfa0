/*
 * tls_echo: a tiny blocking TLS server over the tls module's memory-buffer engine, for
 * tests/integration/15-tls-clients.sh. It answers every HTTP/1.x request with a fixed response
 * whose body describes the connection, then closes:
 *
 *     sni=b.example.test cert=1 name=b.example.test alpn=http/1.1 version=1.3 resumed=0
 *
 * usage:
 *   tool-tls_echo --auto DIR --name HOST [--name HOST...] --gen
 *       generate (or reuse) demo certificates, print "cert=.. key=.. ca=.. result=N", exit
 *   tool-tls_echo --port N [--alpn h2,http/1.1] --cert C --key K [--cert C --key K...]
 *       serve on 127.0.0.1:N, one connection at a time, until killed
 *   tool-tls_echo --connect N --host NAME --ca CA [--tls 1.2|1.3]
 *       the client direction: connect to 127.0.0.1:N, verify the server as NAME against CA, send
 *       "GET / HTTP/1.0", print "version=1.3 cipher=..", a blank line and the response; exit 0
 *       only when the handshake and the exchange worked
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tls/tls.h"

#define MAX_CERTS 16
#define MAX_ALPN  8

static int flush_out(oe_tls_conn_t *c, int fd)
{
    for (;;) {
        oe_slice_t out = oe_tls_pending_out(c);
        if (out.len == 0)
            return 0;
        ssize_t n = send(fd, out.base, out.len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        oe_tls_consume_out(c, (size_t)n);
    }
}

/* Reads from the socket into the engine; -1 on EOF, error or time-out. */
static int fill_in(oe_tls_conn_t *c, int fd)
{
    uint8_t buf[16384];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
        return -1;
    return oe_tls_feed(c, buf, (size_t)n) == OE_OK ? 0 : -1;
}

static void serve(oe_tls_server_t *srv, int fd)
{
    oe_tls_conn_t *c = oe_tls_conn_new_server(srv);
    if (c == NULL)
        return;
    int rc;
    while ((rc = oe_tls_handshake(c)) == OE_TLS_WANT_IO) {
        if (flush_out(c, fd) != 0 || fill_in(c, fd) != 0)
            goto out;
    }
    if (rc != OE_OK) {
        char msg[256];
        oe_tls_conn_strerror(c, msg, sizeof(msg));
        fprintf(stderr, "tls_echo: handshake failed: %s (%s)\n", oe_tls_strerror(rc), msg);
        flush_out(c, fd);
        goto out;
    }
    flush_out(c, fd);

    char req[8192];
    size_t have = 0;
    while (have < sizeof(req) - 1) {
        ssize_t n = oe_tls_read(c, (uint8_t *)req + have, sizeof(req) - 1 - have);
        if (n == OE_TLS_WANT_IO) {
            if (fill_in(c, fd) != 0)
                goto out;
            continue;
        }
        if (n < 0)
            goto out;
        have += (size_t)n;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    const oe_tls_cert_t *cert = oe_tls_conn_cert(c);
    char body[512], resp[1024];
    snprintf(body, sizeof(body), "sni=%s cert=%zu name=%s alpn=%s version=%s resumed=%d\n",
             oe_tls_sni(c) ? oe_tls_sni(c) : "-", oe_tls_cert_index(cert),
             oe_tls_cert_name(cert, 0), oe_tls_alpn(c) ? oe_tls_alpn(c) : "-",
             oe_tls_version(c) == OE_TLS_V13 ? "1.3" : "1.2", (int)oe_tls_resumed(c));
    int len = snprintf(resp, sizeof(resp),
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s",
                       strlen(body), body);
    if (oe_tls_write(c, (const uint8_t *)resp, (size_t)len) == len) {
        oe_tls_close_notify(c);
        flush_out(c, fd);
    }
out:
    oe_tls_conn_free(c);
}

/* One request through our client engine; the response goes to stdout. */
static int fetch(int port, const char *host, const char *ca, int version)
{
    char *err = NULL;
    oe_tls_client_opts_t opts = {.ca_file = ca, .min_version = version, .max_version = version};
    oe_tls_client_t *cli = oe_tls_client_new(&opts, &err);
    if (cli == NULL) {
        fprintf(stderr, "tls_echo: %s\n", err);
        return 1;
    }
    oe_tls_conn_t *c = oe_tls_conn_new_client(cli, host);
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (c == NULL || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("tls_echo: connect");
        goto out;
    }
    int hrc;
    while ((hrc = oe_tls_handshake(c)) == OE_TLS_WANT_IO) {
        if (flush_out(c, fd) != 0 || fill_in(c, fd) != 0) {
            fprintf(stderr, "tls_echo: connection closed during the handshake\n");
            goto out;
        }
    }
    if (hrc != OE_OK) {
        char msg[256];
        oe_tls_conn_strerror(c, msg, sizeof(msg));
        fprintf(stderr, "tls_echo: handshake failed: %s (%s)\n", oe_tls_strerror(hrc), msg);
        flush_out(c, fd);
        goto out;
    }
    printf("version=%s cipher=%s\n\n", oe_tls_version(c) == OE_TLS_V13 ? "1.3" : "1.2",
           oe_tls_ciphersuite(c));
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    if (oe_tls_write(c, (const uint8_t *)req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1 ||
        flush_out(c, fd) != 0)
        goto out;
    for (;;) {
        uint8_t buf[4096];
        ssize_t n = oe_tls_read(c, buf, sizeof(buf));
        if (n == OE_TLS_WANT_IO) {
            if (fill_in(c, fd) != 0)
                break; /* s_server -www closes without close_notify */
            continue;
        }
        if (n == OE_TLS_ECLOSED)
            break;
        if (n < 0) {
            fprintf(stderr, "tls_echo: read: %s\n", oe_tls_strerror((int)n));
            goto out;
        }
        fwrite(buf, 1, (size_t)n, stdout);
    }
    rc = 0;
out:
    close(fd);
    oe_tls_conn_free(c);
    oe_tls_client_free(cli);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: tool-tls_echo --auto DIR --name HOST... --gen\n"
                    "       tool-tls_echo --port N [--alpn a,b] --cert C --key K [...]\n"
                    "       tool-tls_echo --connect N --host NAME --ca CA [--tls 1.2|1.3]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *certs[MAX_CERTS], *keys[MAX_CERTS], *names[16], *auto_dir = NULL;
    const char *host = NULL, *ca_file = NULL;
    int connect_port = 0, version = 0;
    const char *alpn[MAX_ALPN + 1] = {NULL};
    size_t ncerts = 0, nkeys = 0, nnames = 0;
    int port = 0;
    bool gen = false;
    char *err = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--gen") == 0) {
            gen = true;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--port") == 0) {
            port = atoi(v);
        } else if (strcmp(a, "--connect") == 0) {
            connect_port = atoi(v);
        } else if (strcmp(a, "--host") == 0) {
            host = v;
        } else if (strcmp(a, "--ca") == 0) {
            ca_file = v;
        } else if (strcmp(a, "--tls") == 0) {
            version = strcmp(v, "1.2") == 0 ? OE_TLS_V12 : strcmp(v, "1.3") == 0 ? OE_TLS_V13 : -1;
            if (version < 0)
                return usage();
        } else if (strcmp(a, "--cert") == 0 && ncerts < MAX_CERTS) {
            certs[ncerts++] = v;
        } else if (strcmp(a, "--key") == 0 && nkeys < MAX_CERTS) {
            keys[nkeys++] = v;
        } else if (strcmp(a, "--auto") == 0) {
            auto_dir = v;
        } else if (strcmp(a, "--name") == 0 && nnames < OE_ARRAY_SIZE(names)) {
            names[nnames++] = v;
        } else if (strcmp(a, "--alpn") == 0) {
            char *list = strdup(v);
            size_t n = 0;
            for (char *t = strtok(list, ","); t != NULL && n < MAX_ALPN; t = strtok(NULL, ","))
                alpn[n++] = t;
            alpn[n] = NULL;
        } else {
            return usage();
        }
    }

    if (gen) {
        char *cert, *key, *ca;
        if (auto_dir == NULL)
            return usage();
        int rc = oe_tls_auto_cert(auto_dir, names, nnames, &cert, &key, &ca, &err);
        if (rc < 0) {
            fprintf(stderr, "tls_echo: %s\n", err);
            return 1;
        }
        printf("cert=%s key=%s ca=%s result=%d\n", cert, key, ca, rc);
        printf("trust the demo CA: curl --cacert %s https://%s/\n", ca, names[0]);
        free(cert);
        free(key);
        free(ca);
        return 0;
    }

    if (connect_port > 0) {
        if (host == NULL || ca_file == NULL)
            return usage();
        return fetch(connect_port, host, ca_file, version);
    }
    if (port <= 0 || ncerts == 0 || ncerts != nkeys)
        return usage();
    oe_tls_server_opts_t opts = {.alpn = alpn[0] ? alpn : NULL};
    oe_tls_server_t *srv = oe_tls_server_new(&opts, &err);
    if (srv == NULL) {
        fprintf(stderr, "tls_echo: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < ncerts; i++) {
        if (oe_tls_server_add_cert(srv, certs[i], keys[i], NULL, &err) != OE_OK) {
            fprintf(stderr, "tls_echo: %s\n", err);
            return 1;
        }
    }

    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 16) != 0) {
        perror("tls_echo: bind/listen");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    printf("tls_echo: listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        serve(srv, fd);
        close(fd);
    }
}
