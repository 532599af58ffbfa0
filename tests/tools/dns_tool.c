/*
 * dns_tool: drives modules/dns from integration tests (the module itself does no I/O).
 *
 *   dns_tool query PORT NAME TYPE        UDP query to 127.0.0.1:PORT, prints the answer section
 *   dns_tool print HEX                   parses a message and prints every RR
 *   dns_tool update PORT ZONE OWNER TTL KEYNAME SECRET_B64 RDATA_TEXT [TIME]
 *                                        replaces OWNER's HTTPS RRset by one record (RDATA in
 *                                        presentation form), TSIG-signed; prints the request, the
 *                                        response, the RCODE and the TSIG verdict
 *
 * Exit status: 0 on success (NOERROR and, for update, a verified TSIG), 1 otherwise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"
#include "crypto/encode.h"

static int exchange(int port, const uint8_t *q, size_t qlen, uint8_t *r, size_t rcap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 3};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (sendto(fd, q, qlen, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)qlen) {
        close(fd);
        return -1;
    }
    ssize_t n = recv(fd, r, rcap, 0);
    close(fd);
    return (int)n;
}

static void hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int print_msg(oe_slice_t wire, oe_dns_section_t section)
{
    oe_dns_msg_t m;
    oe_dns_iter_t it;
    oe_dns_rr_t rr;
    oe_buf_t out = {0};
    int rc = oe_dns_msg_parse(&m, wire);
    if (rc < 0) {
        fprintf(stderr, "parse: %s\n", oe_dns_strerror(rc));
        return 1;
    }
    const char *rn = oe_dns_rcode_name(m.rcode);
    printf("rcode %s\n", rn ? rn : "?");
    oe_dns_iter_init(&it, &m, section);
    while (oe_dns_iter_next(&it, &rr) == 1) {
        if (rr.type == OE_DNS_T_OPT || rr.type == OE_DNS_T_TSIG)
            continue;
        out.len = 0;
        oe_dns_rr_print(&out, &rr);
        printf("%.*s\n", (int)out.len, (char *)out.base);
    }
    oe_buf_free(&out);
    return m.rcode == 0 ? 0 : 1;
}

static int cmd_query(char **argv)
{
    uint8_t name[OE_DNS_NAME_MAX], q[512], r[65535];
    size_t qlen;
    uint16_t type;
    int n = oe_dns_name_from_text(argv[1], strlen(argv[1]), name);
    if (n < 0 || oe_dns_type_from_text(argv[2], &type) < 0)
        return 2;
    oe_dns_query_opts_t o = {.flags = OE_DNS_F_RD, .udp_size = 1232};
    if (oe_dns_build_query(q, sizeof(q), &qlen, (uint16_t)(getpid() & 0xffff),
                           oe_dns_name_wire(name, (size_t)n), type, &o) < 0)
        return 2;
    int rl = exchange(atoi(argv[0]), q, qlen, r, sizeof(r));
    if (rl < 0) {
        perror("exchange");
        return 1;
    }
    return print_msg(OE_SLICE(r, (size_t)rl), OE_DNS_SEC_ANSWER);
}

static int cmd_print(char **argv)
{
    size_t n = strlen(argv[0]) / 2;
    uint8_t *b = malloc(n + 1);
    if (oe_hex_decode(b, n, argv[0], strlen(argv[0])) != (int)n)
        return 2;
    int rc = print_msg(OE_SLICE(b, n), OE_DNS_SEC_ALL);
    free(b);
    return rc;
}

static int cmd_update(char **argv)
{
    uint8_t zone[OE_DNS_NAME_MAX], q[4096], r[65535], mac[OE_DNS_TSIG_MAC_LEN];
    char err[256], line[2048];
    oe_dns_tsig_key_t key;
    oe_dns_rr_text_t *t = malloc(sizeof(*t));
    size_t qlen;
    int zl = oe_dns_name_from_text(argv[1], strlen(argv[1]), zone);
    snprintf(line, sizeof(line), "%s %s IN HTTPS %s", argv[2], argv[3], argv[6]);
    if (zl < 0 || oe_dns_rr_from_text(line, t, err, sizeof(err)) < 0) {
        fprintf(stderr, "record: %s\n", err);
        return 2;
    }
    if (oe_dns_tsig_key_init(&key, argv[4], argv[5], err, sizeof(err)) < 0) {
        fprintf(stderr, "key: %s\n", err);
        return 2;
    }
    oe_slice_t rd = OE_SLICE(t->rdata, t->rdlen);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(zone, (size_t)zl),
                         .owner = oe_dns_name_wire(t->owner, t->owner_len),
                         .type = OE_DNS_T_HTTPS,
                         .ttl = t->ttl,
                         .rdatas = &rd,
                         .nrdatas = 1};
    uint64_t now = argv[7] ? strtoull(argv[7], NULL, 10) : (uint64_t)time(NULL);
    int rc = oe_dns_update_build(q, sizeof(q), &qlen, (uint16_t)(getpid() & 0xffff), &u);
    if (rc == 0)
        rc = oe_dns_tsig_sign(q, &qlen, sizeof(q), &key, now, OE_DNS_TSIG_FUDGE, NULL, 0, mac);
    if (rc < 0) {
        fprintf(stderr, "build: %s\n", oe_dns_strerror(rc));
        return 2;
    }
    printf("time %llu\n", (unsigned long long)now);
    hex("request", q, qlen);
    int rl = exchange(atoi(argv[0]), q, qlen, r, sizeof(r));
    if (rl < 0) {
        perror("exchange");
        return 1;
    }
    hex("response", r, (size_t)rl);
    oe_dns_msg_t m;
    if ((rc = oe_dns_msg_parse(&m, OE_SLICE(r, (size_t)rl))) < 0) {
        printf("parse %s\n", oe_dns_strerror(rc));
        return 1;
    }
    const char *rn = oe_dns_rcode_name(m.rcode);
    printf("rcode %s\n", rn ? rn : "?");
    rc = oe_dns_tsig_verify(&m, &key, mac, sizeof(mac), (uint64_t)time(NULL), NULL);
    printf("tsig %s\n", rc == 0 ? "ok" : oe_dns_strerror(rc));
    oe_dns_tsig_key_wipe(&key);
    free(t);
    return rc == 0 && m.rcode == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "query") == 0)
        return cmd_query(argv + 2);
    if (argc >= 3 && strcmp(argv[1], "print") == 0)
        return cmd_print(argv + 2);
    if (argc >= 9 && strcmp(argv[1], "update") == 0)
        return cmd_update(argv + 2);
    fprintf(stderr, "usage: dns_tool query PORT NAME TYPE | print HEX | update PORT ZONE OWNER "
                    "TTL KEYNAME SECRET_B64 RDATA [TIME]\n");
    return 2;
}
