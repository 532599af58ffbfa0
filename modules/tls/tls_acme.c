/*
 * What modules/acme needs from X.509 (this module owns the mbedtls X.509 headers): a fresh key
 * with its certificate signing request, and the facts of an issued certificate (validity, issuer,
 * serial and authority key identifier for ACME Renewal Information, RFC 9773 §4.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "crypto/crypto.h"
#include "tls/tls.h"
#include "tls/tls_int.h"

#define PEM_MAX 8192
#define DER_MAX 4096

static int gen_key(mbedtls_pk_context *pk, oe_tls_key_type_t type)
{
    int rc;
    switch (type) {
    case OE_TLS_KEY_P256:
    case OE_TLS_KEY_P384:
        rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0)
            rc = mbedtls_ecp_gen_key(type == OE_TLS_KEY_P256 ? MBEDTLS_ECP_DP_SECP256R1
                                                             : MBEDTLS_ECP_DP_SECP384R1,
                                     mbedtls_pk_ec(*pk), oe_crypto_random, NULL);
        return rc;
    case OE_TLS_KEY_RSA2048:
    case OE_TLS_KEY_RSA3072:
        rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), oe_crypto_random, NULL,
                                     type == OE_TLS_KEY_RSA2048 ? 2048 : 3072, 65537);
        return rc;
    }
    return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
}

int oe_tls_acme_csr(oe_tls_key_type_t type, const char *const *names, size_t n, char **key_pem,
                    oe_buf_t *csr_der, char **err)
{
    mbedtls_pk_context pk;
    mbedtls_x509write_csr csr;
    mbedtls_x509_san_list *san = NULL;
    unsigned char *buf = oe_malloc(PEM_MAX);
    const char *what = "key generation";
    int rc;
    mbedtls_pk_init(&pk);
    mbedtls_x509write_csr_init(&csr);
    *key_pem = NULL;
    if (n == 0 || oe_tls_global_init() != OE_OK) {
        rc = MBEDTLS_ERR_X509_BAD_INPUT_DATA;
        goto fail;
    }
    if ((rc = gen_key(&pk, type)) != 0)
        goto fail;
    /* RFC 8555 §7.4: the names go in subjectAltName; the subject may stay empty, but a CN of the
     * first name (at most 64 characters, RFC 5280's ub-common-name) is what most CAs expect. */
    what = "request";
    char subject[80] = "";
    if (strlen(names[0]) <= 64)
        snprintf(subject, sizeof(subject), "CN=%s", names[0]);
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&csr, &pk);
    if (subject[0] != '\0' && (rc = mbedtls_x509write_csr_set_subject_name(&csr, subject)) != 0)
        goto fail;
    /* mbedtls writes the list from its end (ASN.1 is written backwards): build it reversed so
     * that the request carries the names in the caller's order. */
    for (size_t i = 0; i < n; i++) {
        mbedtls_x509_san_list *e = oe_calloc(1, sizeof(*e));
        e->node.type = MBEDTLS_X509_SAN_DNS_NAME;
        e->node.san.unstructured_name.p = (unsigned char *)names[i];
        e->node.san.unstructured_name.len = strlen(names[i]);
        e->next = san;
        san = e;
    }
    if ((rc = mbedtls_x509write_csr_set_subject_alternative_name(&csr, san)) != 0)
        goto fail;
    /* DER is written at the end of the buffer. */
    rc = mbedtls_x509write_csr_der(&csr, buf, PEM_MAX, oe_crypto_random, NULL);
    if (rc < 0)
        goto fail;
    csr_der->len = 0;
    oe_buf_append(csr_der, buf + PEM_MAX - rc, (size_t)rc);
    what = "key";
    if ((rc = mbedtls_pk_write_key_pem(&pk, buf, PEM_MAX)) != 0)
        goto fail;
    *key_pem = oe_strdup((char *)buf);
    rc = OE_OK;
    goto out;
fail:
    rc = oe_tls__crypto_fail(err, oe_asprintf("ACME certificate request: %s", what), rc);
out:
    oe_tls__san_list_free(san);
    oe_wipe(buf, PEM_MAX);
    free(buf);
    mbedtls_x509write_csr_free(&csr);
    mbedtls_pk_free(&pk);
    return rc;
}

/* The keyIdentifier of the leaf's authorityKeyIdentifier extension (RFC 5280 §4.2.1.1). */
static void authority_key_id(const mbedtls_x509_crt *crt, oe_tls_cert_facts_t *f)
{
    const mbedtls_x509_buf *id = &crt->authority_key_id.keyIdentifier;
    if (id->p != NULL && id->len <= sizeof(f->aki)) {
        memcpy(f->aki, id->p, id->len);
        f->aki_len = id->len;
    }
}

int oe_tls_cert_facts(const uint8_t *pem, size_t len, oe_tls_cert_facts_t *f)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    memset(f, 0, sizeof(*f));
    char *copy = oe_strndup((const char *)pem, len); /* mbedtls parses PEM from a C string */
    int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)copy, strlen(copy) + 1);
    free(copy);
    if (rc < 0 || crt.raw.p == NULL) { /* rc > 0: some certificates of a chain failed */
        mbedtls_x509_crt_free(&crt);
        return OE_EFORMAT;
    }
    f->not_before = oe_tls__x509_time(&crt.valid_from);
    f->not_after = oe_tls__x509_time(&crt.valid_to);
    if (mbedtls_x509_dn_gets(f->issuer, sizeof(f->issuer), &crt.issuer) < 0)
        f->issuer[0] = '\0';
    if (crt.serial.len <= sizeof(f->serial)) {
        memcpy(f->serial, crt.serial.p, crt.serial.len);
        f->serial_len = crt.serial.len;
    }
    authority_key_id(&crt, f);
    mbedtls_x509_crt_free(&crt);
    return OE_OK;
}

/* RFC 8737 §6.1: id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31. */
static const char acme_identifier_oid[] = "\x2b\x06\x01\x05\x05\x07\x01\x1f";

/* mbedtls refuses unknown critical extensions; this one is ours. */
static int accept_acme_ext(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                           int critical, const unsigned char *p, const unsigned char *end)
{
    (void)ctx;
    (void)crt;
    (void)critical;
    (void)p;
    (void)end;
    return oid->len == sizeof(acme_identifier_oid) - 1 &&
                   memcmp(oid->p, acme_identifier_oid, oid->len) == 0
               ? 0
               : -1;
}

int oe_tls__acme_validation_cert(const char *name, const uint8_t digest[32], mbedtls_x509_crt *crt,
                                 mbedtls_pk_context *pk, char **err)
{
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    unsigned char *der = oe_malloc(DER_MAX);
    unsigned char serial[16], ext[2 + 32];
    char from[16], to[16];
    const char *what = "key generation";
    time_t now = time(NULL);
    struct tm tm;
    int rc;
    mbedtls_x509_san_list san = {0};
    san.node.type = MBEDTLS_X509_SAN_DNS_NAME;
    san.node.san.unstructured_name.p = (unsigned char *)name;
    san.node.san.unstructured_name.len = strlen(name);
    if (oe_tls_global_init() != OE_OK) {
        rc = MBEDTLS_ERR_X509_BAD_INPUT_DATA;
        goto fail;
    }
    if ((rc = gen_key(pk, OE_TLS_KEY_P256)) != 0)
        goto fail;
    what = "certificate";
    if ((rc = oe_crypto_random(NULL, serial, sizeof(serial))) != 0)
        goto fail;
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
    gmtime_r(&(time_t){now - 3600}, &tm);
    strftime(from, sizeof(from), "%Y%m%d%H%M%S", &tm);
    gmtime_r(&(time_t){now + 7 * 86400}, &tm);
    strftime(to, sizeof(to), "%Y%m%d%H%M%S", &tm);
    /* extnValue = DER of Authorization ::= OCTET STRING (SIZE (32)). */
    ext[0] = 0x04;
    ext[1] = 32;
    memcpy(ext + 2, digest, 32);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, pk);
    mbedtls_x509write_crt_set_issuer_key(&w, pk);
    if ((rc = mbedtls_x509write_crt_set_subject_name(&w, "CN=ACME TLS-ALPN-01")) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&w, "CN=ACME TLS-ALPN-01")) != 0 ||
        (rc = mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof(serial))) != 0 ||
        (rc = mbedtls_x509write_crt_set_validity(&w, from, to)) != 0 ||
        (rc = mbedtls_x509write_crt_set_subject_alternative_name(&w, &san)) != 0 ||
        (rc = mbedtls_x509write_crt_set_extension(
             &w, acme_identifier_oid, sizeof(acme_identifier_oid) - 1, 1, ext, sizeof(ext))) != 0)
        goto fail;
    rc = mbedtls_x509write_crt_der(&w, der, DER_MAX, oe_crypto_random, NULL);
    if (rc < 0)
        goto fail;
    if ((rc = mbedtls_x509_crt_parse_der_with_ext_cb(crt, der + DER_MAX - rc, (size_t)rc, 1,
                                                     accept_acme_ext, NULL)) != 0)
        goto fail;
    rc = OE_OK;
    goto out;
fail:
    rc = oe_tls__crypto_fail(err, oe_asprintf("TLS-ALPN-01 validation certificate: %s", what), rc);
out:
    mbedtls_x509write_crt_free(&w);
    free(der);
    return rc;
}
