/*
 * Session tickets bound to their server name: the mbedtls ticket callbacks of a server
 * configuration (oe_tls_server_new installs them), which seal with mbedtls_ssl_ticket and add an
 * HMAC tag over the ticket and the SNI.
 */
#include "tls/tls.h"

#include <pthread.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>

#include "crypto/crypto.h"
#include "crypto/encode.h"
#include "tls/tls_int.h"

/* The connection whose handshake runs on this thread, for the ticket callbacks, which mbedtls
 * gives no connection pointer. */
_Thread_local oe_tls_conn_t *oe_tls__current_conn;

/* Tickets are bound to the server name they were issued under (RFC 6066 §3: a server must not
 * resume a session under a different name, even one the same certificate covers): each ticket is
 * mbedtls' sealed ticket followed by TICKET_TAG_LEN bytes of HMAC-SHA-256 over it and the
 * lower-cased SNI, under a key of this server's. A ticket whose tag does not match the name of
 * the handshake parsing it is not resumed (the handshake goes on as a full one). */
#define TICKET_TAG_LEN 16

static int ticket_tag(const oe_tls_server_t *srv, const unsigned char *name, size_t nlen,
                      const unsigned char *ticket, size_t len, uint8_t tag[TICKET_TAG_LEN])
{
    unsigned char lower[256];
    if (name == NULL || nlen > sizeof(lower))
        nlen = 0;
    for (size_t i = 0; i < nlen; i++)
        lower[i] = (unsigned char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    if (nlen > 0 && lower[nlen - 1] == '.')
        nlen--;
    oe_crypto_hmac_t h;
    uint8_t full[OE_CRYPTO_SHA256_LEN], sep = 0, nl = (uint8_t)nlen;
    oe_crypto_hmac_init(&h, srv->ticket_bind_key, sizeof(srv->ticket_bind_key));
    oe_crypto_hmac_update(&h, ticket, len);
    /* a separator and the name's length keep (ticket, name) pairs unambiguous */
    oe_crypto_hmac_update(&h, &sep, 1);
    oe_crypto_hmac_update(&h, &nl, 1);
    oe_crypto_hmac_update(&h, lower, nlen);
    oe_crypto_hmac_final(&h, full);
    memcpy(tag, full, TICKET_TAG_LEN);
    oe_wipe(full, sizeof(full));
    return 0;
}

int oe_tls__ticket_write(void *p, const mbedtls_ssl_session *session, unsigned char *start,
                         const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
    oe_tls_server_t *srv = p;
    if (oe_tls__current_conn == NULL || end - start < TICKET_TAG_LEN)
        return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    pthread_mutex_lock(&srv->ticket_lock);
    int rc = mbedtls_ssl_ticket_write(&srv->ticket, session, start, end - TICKET_TAG_LEN, tlen,
                                      lifetime);
    pthread_mutex_unlock(&srv->ticket_lock);
    if (rc == 0) {
        /* The name the handshake chose its certificate by (cert_cb); the handshake's own copy
         * may be gone when a TLS 1.3 ticket is written. */
        const char *sni = oe_tls__current_conn->sni;
        rc = ticket_tag(srv, (const unsigned char *)sni, sni ? strlen(sni) : 0, start, *tlen,
                        start + *tlen);
        *tlen += TICKET_TAG_LEN;
    }
    return rc;
}

int oe_tls__ticket_parse(void *p, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
    oe_tls_server_t *srv = p;
    uint8_t tag[TICKET_TAG_LEN];
    if (oe_tls__current_conn == NULL || len <= TICKET_TAG_LEN)
        return MBEDTLS_ERR_SSL_INVALID_MAC;
    len -= TICKET_TAG_LEN;
    size_t nlen = 0; /* the ClientHello's name: parsed before the tickets it carries */
    const unsigned char *name = mbedtls_ssl_get_hs_sni(&oe_tls__current_conn->ssl, &nlen);
    int rc = ticket_tag(srv, name, nlen, buf, len, tag);
    if (rc != 0)
        return rc;
    if (!oe_ct_eq(tag, buf + len, TICKET_TAG_LEN))
        return MBEDTLS_ERR_SSL_INVALID_MAC;
    pthread_mutex_lock(&srv->ticket_lock);
    rc = mbedtls_ssl_ticket_parse(&srv->ticket, session, buf, len);
    pthread_mutex_unlock(&srv->ticket_lock);
    if (rc == 0)
        oe_tls__current_conn->ticket_accepted = true;
    return rc;
}
