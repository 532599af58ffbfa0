/*
 * Listening sockets that outlive a generation. The registry holds, per configured address, the
 * bound and listening sockets (SO_REUSEPORT, one per worker, so the kernel spreads connections);
 * each worker accepts from its own dup() of them, so closing a worker's handle never closes a
 * socket. A reload's new generation takes the sockets of the addresses it still has, so
 * connections waiting in a kernel accept queue are accepted by the new workers instead of being
 * reset; the old workers stop accepting and drain. A socket closes when no running generation
 * uses its address any more.
 *
 * SO_REUSEPORT would also let a second process bind the same address and take half of the
 * connections. Before binding an address the registry does not hold, a probe socket without
 * SO_REUSEPORT binds it first: EADDRINUSE there means someone else listens on it, and the start
 * (or reload) fails with "ADDRESS: address already in use".
 *
 * Main thread only (oe_http__start and oe_http__stop run there).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "http/http_int.h"

#define BACKLOG 511

struct lsock {
    struct sockaddr_storage ss;
    socklen_t len;
    char *text;
    int *fds;
    size_t nfds;
    unsigned users; /* started generations using the address */
};

static lsock_t **reg;
static size_t nreg;

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    return oe_sockaddr_port((const struct sockaddr *)ss);
}

static bool is_any(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &in6addr_any,
                      sizeof(in6addr_any)) == 0;
    return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/* Would sockets bound to a and b take each other's connections? The same family and port, and
 * the same address or a wildcard on either side. IPv6 sockets are IPV6_V6ONLY, so an IPv6
 * address never overlaps an IPv4 one. */
bool oe_http__addr_overlap(const oe_sockaddr_t *a, const oe_sockaddr_t *b)
{
    if (a->ss.ss_family != b->ss.ss_family || port_of(&a->ss) != port_of(&b->ss))
        return false;
    return is_any(&a->ss) || is_any(&b->ss) || same_ip(&a->ss, &b->ss);
}

static bool same_addr(const lsock_t *s, const oe_sockaddr_t *a)
{
    return s->ss.ss_family == a->ss.ss_family && port_of(&s->ss) == port_of(&a->ss) &&
           same_ip(&s->ss, &a->ss);
}

/* A bound socket: listening with SO_REUSEPORT, or (a probe) bound only, without it. */
static int open_socket(const oe_sockaddr_t *a, bool reuseport, int *out)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rc = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
        (a->ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
        bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
        (reuseport && listen(fd, BACKLOG) < 0))
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

static void log_failure(const char *text, int rc)
{
    if (rc == -EADDRINUSE)
        oe_log_error(TAG, "%s: address already in use (another process listens on it)", text);
    else
        oe_log_error(TAG, "cannot listen on %s: %s", text, oe_strerror(rc));
}

static void drop_if_unused(lsock_t *s)
{
    if (s->users > 0)
        return;
    for (size_t i = 0; i < s->nfds; i++)
        close(s->fds[i]);
    for (size_t i = 0; i < nreg; i++) {
        if (reg[i] == s) {
            reg[i] = reg[--nreg];
            break;
        }
    }
    if (nreg == 0) {
        free(reg);
        reg = NULL;
    }
    free(s->fds);
    free(s->text);
    free(s);
}

/* The registry entry for a, with at least n sockets. */
static int get(const oe_sockaddr_t *a, unsigned n, lsock_t **out)
{
    lsock_t *s = NULL;
    bool ours = false;
    for (size_t i = 0; i < nreg && s == NULL; i++) {
        if (same_addr(reg[i], a))
            s = reg[i];
        else
            ours |= oe_http__addr_overlap(&(oe_sockaddr_t){.ss = reg[i]->ss}, a);
    }
    int rc = 0;
    if (s == NULL) {
        /* New to this process: is someone else listening on it? (An address that overlaps
         * one of ours, e.g. 127.0.0.1:P while we hold *:P, binds next to ours.) */
        int probe;
        if (!ours) {
            if ((rc = open_socket(a, false, &probe)) < 0) {
                log_failure(a->text, rc);
                return rc;
            }
            close(probe);
        }
        s = oe_calloc(1, sizeof(*s));
        s->ss = a->ss;
        s->len = a->len;
        s->text = oe_strdup(a->text);
        reg = oe_realloc(reg, (nreg + 1) * sizeof(*reg));
        reg[nreg++] = s;
    }
    while (s->nfds < n) {
        int fd;
        if ((rc = open_socket(a, true, &fd)) < 0) {
            log_failure(a->text, rc);
            drop_if_unused(s);
            return rc;
        }
        s->fds = oe_realloc(s->fds, (s->nfds + 1) * sizeof(*s->fds));
        s->fds[s->nfds++] = fd;
    }
    *out = s;
    return 0;
}

int oe_http__sockets_acquire(oe_http_t *http)
{
    size_t n = 0;
    for (size_t i = 0; i < http->nlistens; i++)
        n += http->listens[i]->addresses.n;
    http->socks = oe_calloc(n ? n : 1, sizeof(*http->socks));
    for (size_t i = 0; i < http->nlistens; i++) {
        for (size_t a = 0; a < http->listens[i]->addresses.n; a++) {
            lsock_t *s;
            int rc = get(&http->listens[i]->addresses.v[a], http->nworkers, &s);
            if (rc < 0) {
                oe_http__sockets_release(http);
                return rc;
            }
            s->users++;
            http->socks[http->nsocks++] = s;
        }
    }
    return 0;
}

void oe_http__sockets_release(oe_http_t *http)
{
    for (size_t i = 0; i < http->nsocks; i++) {
        http->socks[i]->users--;
        drop_if_unused(http->socks[i]);
    }
    free(http->socks);
    http->socks = NULL;
    http->nsocks = 0;
}

size_t oe_http__socket_count(const lsock_t *s)
{
    return s->nfds;
}

int oe_http__socket_dup(const lsock_t *s, size_t i)
{
    int fd = fcntl(s->fds[i], F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

const char *oe_http__socket_text(const lsock_t *s)
{
    return s->text;
}
