/*
 * Small address and name helpers that several modules need: the port of a socket address, and
 * the one host-name check (RFC 1123 §2.1). No I/O but oe_resolv_conf_nameserver's read.
 */
#ifndef OE_CORE_NET_H
#define OE_CORE_NET_H

#include <sys/socket.h>

#include "core/conf.h"
#include "core/oe.h"

/* The port of an AF_INET or AF_INET6 address in host order; 0 for any other family. */
uint16_t oe_sockaddr_port(const struct sockaddr *sa);
/* Sets the port (host order) of an AF_INET or AF_INET6 address; other families are left alone. */
void oe_sockaddr_set_port(struct sockaddr *sa, uint16_t port);
/* *out = the IPv4 or IPv6 address literal ip (no brackets) with port; false, with *out all zero,
 * when ip is neither. */
bool oe_sockaddr_from_ip(const char *ip, uint16_t port, struct sockaddr_storage *out);

/* The first "nameserver" of a resolv.conf file (path, normally /etc/resolv.conf) that parses, at
 * port 53: its text ("IP:53" or "[IP]:53") in text (cap bytes) and out->text = text; 0, or -1 when
 * the file is unreadable or names no usable server (a static binary has no getaddrinfo). */
int oe_resolv_conf_nameserver(const char *path, oe_sockaddr_t *out, char *text, size_t cap);

/* A DNS host name as RFC 1123 §2.1 writes it: 1..253 bytes of dot-separated labels of 1..63
 * letters, digits and hyphens, no label starting or ending with a hyphen, no final dot. Dotted
 * IPv4 literals pass; IPv6 literals do not. With allow_wildcard a first label "*" is accepted
 * (a certificate's "*.example.test"). */
bool oe_host_name_valid(oe_slice_t name, bool allow_wildcard);

/* Lower-cases the ASCII letters of a NUL-terminated string in place. */
void oe_ascii_lower(char *s);

#endif
