/* The listening-socket registry: overlap rules, sharing across generations, and refusing an
 * address another socket listens on. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_int.h"
#include "unit/test.h"

static oe_sockaddr_t addr(const char *s)
{
    oe_sockaddr_t a;
    if (oe_parse_addr(s, &a) < 0)
        oe_test_fail(__FILE__, __LINE__, "cannot parse %s", s);
    a.text = s;
    return a;
}

static bool overlap(const char *x, const char *y)
{
    oe_sockaddr_t a = addr(x), b = addr(y);
    return oe_http__addr_overlap(&a, &b);
}

TEST(http_addr_overlap_rules)
{
    CHECK(overlap("127.0.0.1:8443", "127.0.0.1:8443"));
    CHECK(overlap("*:8443", "127.0.0.1:8443"));
    CHECK(overlap("127.0.0.2:8443", "0.0.0.0:8443"));
    CHECK(overlap("[::]:8443", "[::1]:8443"));
    CHECK(overlap("[::1]:8443", "[::1]:8443"));
    CHECK(!overlap("127.0.0.1:8443", "127.0.0.2:8443"));
    CHECK(!overlap("127.0.0.1:8443", "127.0.0.1:8444"));
    CHECK(!overlap("*:8443", "*:8444"));
    CHECK(!overlap("[::]:8443", "*:8443")); /* IPv6 sockets are IPV6_V6ONLY */
    CHECK(!overlap("[::1]:8443", "127.0.0.1:8443"));
}

/* A port nobody listens on, from the kernel. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static bool accepts_connections(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

TEST(http_sockets_shared_across_generations)
{
    char text[32];
    int port = free_port();
    snprintf(text, sizeof(text), "127.0.0.1:%d", port);
    oe_sockaddr_t a = addr(text);
    oe_listen_conf_t l = {.addresses = {&a, 1}};
    const oe_listen_conf_t *ls[] = {&l};
    oe_http_t old = {.listens = ls, .nlistens = 1, .nworkers = 2};
    oe_http_t new = {.listens = ls, .nlistens = 1, .nworkers = 3};
    CHECK_INT(oe_http__sockets_acquire(&old), 0);
    CHECK_INT(old.nsocks, 1);
    CHECK_INT(oe_http__socket_count(old.socks[0]), 2);
    CHECK(accepts_connections(port));
    /* The next generation takes the same sockets (one more for its third worker). */
    CHECK_INT(oe_http__sockets_acquire(&new), 0);
    CHECK(new.socks[0] == old.socks[0]);
    CHECK_INT(oe_http__socket_count(new.socks[0]), 3);
    int fd = oe_http__socket_dup(new.socks[0], 0);
    CHECK(fd >= 0);
    close(fd);
    oe_http__sockets_release(&old);
    CHECK(accepts_connections(port));
    oe_http__sockets_release(&new);
    CHECK(!accepts_connections(port)); /* the last user is gone: closed */
}

TEST(http_sockets_refuse_an_address_in_use)
{
    int port = free_port();
    int holder = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    /* Even a SO_REUSEPORT listener (a second odoh-edge) must not be joined. */
    setsockopt(holder, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(holder, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(listen(holder, 1) == 0);
    char text[32], any[32];
    snprintf(text, sizeof(text), "127.0.0.1:%d", port);
    snprintf(any, sizeof(any), "*:%d", port);
    oe_sockaddr_t a[2] = {addr(any), addr(text)};
    for (size_t i = 0; i < 2; i++) {
        oe_listen_conf_t l = {.addresses = {&a[i], 1}};
        const oe_listen_conf_t *ls[] = {&l};
        oe_http_t http = {.listens = ls, .nlistens = 1, .nworkers = 2};
        CHECK_INT(oe_http__sockets_acquire(&http), -EADDRINUSE);
        CHECK_INT(http.nsocks, 0);
    }
    close(holder);
}
