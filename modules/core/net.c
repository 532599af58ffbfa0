/* Address and name helpers (see net.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"

uint16_t oe_sockaddr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    return 0;
}

void oe_sockaddr_set_port(struct sockaddr *sa, uint16_t port)
{
    if (sa->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
    else if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
}

bool oe_sockaddr_from_ip(const char *ip, uint16_t port, struct sockaddr_storage *out)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1)
        a4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1)
        a6->sin6_family = AF_INET6;
    else
        return false;
    oe_sockaddr_set_port((struct sockaddr *)out, port);
    return true;
}

int oe_resolv_conf_nameserver(const char *path, oe_sockaddr_t *out, char *text, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[256], ip[64];
    int rc = -1;
    while (f != NULL && rc < 0 && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, " nameserver %63s", ip) != 1)
            continue;
        snprintf(text, cap, strchr(ip, ':') ? "[%s]:53" : "%s:53", ip);
        rc = oe_parse_addr(text, out);
        out->text = text; /* names the server in statistics and messages */
    }
    if (f != NULL)
        fclose(f);
    return rc;
}

bool oe_host_name_valid(oe_slice_t name, bool allow_wildcard)
{
    const uint8_t *p = name.base;
    size_t n = name.len, label = 0;
    if (n == 0 || n > 253)
        return false;
    if (allow_wildcard && n > 2 && p[0] == '*' && p[1] == '.') {
        p += 2;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '.') {
            if (label == 0 || p[i - 1] == '-')
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && p[n - 1] != '-';
}

void oe_ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}
