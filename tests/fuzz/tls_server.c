/* libFuzzer target: arbitrary bytes from a client into a fresh server connection (ClientHello
 * parsing, SNI certificate choice, ALPN, ticket parsing). Any input must end in OE_TLS_WANT_IO or
 * an error, never a crash, leak or undefined behaviour. The server's certificates are made once
 * with cert = auto in a temporary folder. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tls/tls.h"

static oe_tls_server_t *srv;
static char dir[64];

static void cleanup(void)
{
    static const char *const files[] = {"ca.pem", "ca.key", "cert.pem", "cert.key"};
    char path[128];
    for (size_t i = 0; i < OE_ARRAY_SIZE(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void setup(void)
{
    static const char *const names[] = {"a.example.test", "*.wild.test"};
    char *cert, *key, *ca, *err = NULL;
    snprintf(dir, sizeof(dir), "/tmp/oe-fuzz-tls-XXXXXX");
    if (mkdtemp(dir) == NULL || oe_tls_auto_cert(dir, names, 2, &cert, &key, &ca, &err) < 0)
        abort();
    atexit(cleanup);
    srv = oe_tls_server_new(NULL, &err);
    if (srv == NULL || oe_tls_server_add_cert(srv, cert, key, NULL, &err) != OE_OK)
        abort();
    free(cert);
    free(key);
    free(ca);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (srv == NULL)
        setup();
    oe_tls_conn_t *c = oe_tls_conn_new_server(srv);
    if (c == NULL)
        abort();
    if (oe_tls_feed(c, data, size) == OE_OK) {
        int rc = oe_tls_handshake(c);
        if (rc == OE_OK)
            abort(); /* a handshake cannot complete from one flight of client bytes */
        (void)oe_tls_pending_out(c);
    }
    oe_tls_conn_free(c);
    return 0;
}
