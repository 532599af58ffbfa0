/*
 * cert = auto: a local CA and a leaf certificate for demos, kept in the state folder. See
 * oe_tls_auto_cert() in tls.h for the contract.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls.h"
#include "tls/tls_int.h"
#include "core/fs.h"
#include "core/net.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"

#define CA_DAYS    3650
#define LEAF_DAYS  365
#define RENEW_DAYS 30 /* regenerate what expires sooner than this */
#define DAY        86400
#define PEM_MAX    8192

static const char *const implicit_ips[] = {"127.0.0.1", "::1"};

int oe_tls__crypto_fail(char **err, char *what, int mbed_err)
{
    oe_tls__set_err(err, oe_tls__mbed_msg(what, mbed_err));
    free(what);
    return OE_ECRYPTO;
}

void oe_tls__san_list_free(mbedtls_x509_san_list *san)
{
    while (san != NULL) {
        mbedtls_x509_san_list *next = san->next;
        free(san);
        san = next;
    }
}

/* ---- names ---------------------------------------------------------------------------------- */

typedef struct names {
    char **v; /* lower-cased, unique */
    size_t n;
} names_t;

static void names_free(names_t *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

static bool names_has(const names_t *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], s) == 0)
            return true;
    return false;
}

static void names_add(names_t *ns, const char *s, size_t len)
{
    char *copy = oe_strndup(s, len);
    for (char *p = copy; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (names_has(ns, copy)) {
        free(copy);
        return;
    }
    ns->v = oe_realloc(ns->v, (ns->n + 1) * sizeof(char *));
    ns->v[ns->n++] = copy;
}

static bool names_equal(const names_t *a, const names_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!names_has(b, a->v[i]))
            return false;
    return true;
}

static bool is_ip(const char *s, uint8_t out[16], size_t *len)
{
    if (inet_pton(AF_INET, s, out) == 1) {
        *len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *len = 16;
        return true;
    }
    return false;
}

static void add_san(void *arg, const char *name, size_t len)
{
    names_add(arg, name, len);
}

/* The names a leaf certificate has: dNSNames, and iPAddresses as text. */
static void cert_names(const mbedtls_x509_crt *crt, names_t *out)
{
    oe_tls__san_names(crt, add_san, out);
}

/* ---- files -------------------------------------------------------------------------------- */

/* Writes data to path atomically (oe_file_write_atomic), with the error for the config check. */
static int write_atomic(const char *path, const void *data, size_t len, unsigned mode, char **err)
{
    int rc = oe_file_write_atomic(path, data, len, mode);
    if (rc != 0)
        oe_tls__set_err(err, oe_asprintf("%s: %s", path, oe_strerror(rc)));
    return rc;
}

/* ---- time ------------------------------------------------------------------------------------ */

int64_t oe_tls__x509_time(const mbedtls_x509_time *t)
{
    struct tm tm = {0};
    tm.tm_year = t->year - 1900;
    tm.tm_mon = t->mon - 1;
    tm.tm_mday = t->day;
    tm.tm_hour = t->hour;
    tm.tm_min = t->min;
    tm.tm_sec = t->sec;
    return (int64_t)timegm(&tm);
}

static bool valid_for(const mbedtls_x509_crt *crt, time_t now, time_t secs)
{
    return oe_tls__x509_time(&crt->valid_from) <= now &&
           oe_tls__x509_time(&crt->valid_to) >= now + secs;
}

static void x509_time_str(char out[16], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* ---- generation ------------------------------------------------------------------------------ */

static int gen_key(mbedtls_pk_context *pk)
{
    int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), oe_crypto_random,
                                 NULL);
    return rc;
}

static int write_key(const char *path, mbedtls_pk_context *pk, char **err)
{
    unsigned char *pem = oe_malloc(PEM_MAX);
    int rc = mbedtls_pk_write_key_pem(pk, pem, PEM_MAX);
    if (rc != 0) {
        oe_tls__set_err(err, oe_tls__mbed_msg("auto cert: writing a key", rc));
        rc = OE_ECRYPTO;
    } else {
        rc = write_atomic(path, pem, strlen((char *)pem), 0600, err);
    }
    oe_wipe(pem, PEM_MAX);
    free(pem);
    return rc;
}

/* Signs and writes one certificate. san == NULL makes a CA certificate. */
static int write_cert(const char *path, mbedtls_pk_context *subject_key,
                      mbedtls_pk_context *issuer_key, const char *subject, const char *issuer,
                      int days, mbedtls_x509_san_list *san, char **err)
{
    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    unsigned char *pem = oe_malloc(PEM_MAX);
    unsigned char serial[16];
    char from[16], to[16];
    time_t now = time(NULL);
    const char *what = "serial";
    int rc = oe_crypto_random(NULL, serial, sizeof(serial));
    if (rc != 0)
        goto fail;
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full length */
    x509_time_str(from, now - 3600);                        /* tolerate small clock skew */
    x509_time_str(to, now + (time_t)days * DAY);

    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, issuer_key);
    what = "names";
    if ((rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer)) != 0)
        goto fail;
    what = "serial";
    if ((rc = mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial))) != 0)
        goto fail;
    what = "validity";
    if ((rc = mbedtls_x509write_crt_set_validity(&crt, from, to)) != 0)
        goto fail;
    what = "extensions";
    if (san == NULL) {
        if ((rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) != 0 ||
            (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_KEY_CERT_SIGN |
                                                                MBEDTLS_X509_KU_CRL_SIGN)) != 0)
            goto fail;
    } else {
        mbedtls_asn1_sequence eku = {0};
        eku.buf.tag = MBEDTLS_ASN1_OID;
        eku.buf.p = (unsigned char *)MBEDTLS_OID_SERVER_AUTH;
        eku.buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);
        if ((rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
            (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) !=
                0 ||
            (rc = mbedtls_x509write_crt_set_ext_key_usage(&crt, &eku)) != 0 ||
            (rc = mbedtls_x509write_crt_set_subject_alternative_name(&crt, san)) != 0)
            goto fail;
    }
    if ((rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
        (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0)
        goto fail;
    what = "signing";
    if ((rc = mbedtls_x509write_crt_pem(&crt, pem, PEM_MAX, oe_crypto_random, NULL)) != 0)
        goto fail;
    rc = write_atomic(path, pem, strlen((char *)pem), 0644, err);
    goto out;
fail:
    rc = oe_tls__crypto_fail(err, oe_asprintf("auto cert: %s: %s", path, what), rc);
out:
    mbedtls_x509write_crt_free(&crt);
    free(pem);
    return rc;
}

/* Loads a certificate and its key; true when both parse, the key file mode is private and the key
 * matches. */
static bool load_pair(const char *cert_path, const char *key_path, mbedtls_x509_crt *crt,
                      mbedtls_pk_context *key)
{
    struct stat st;
    if (stat(key_path, &st) != 0 || (st.st_mode & 077) != 0)
        return false;
    return mbedtls_x509_crt_parse_file(crt, cert_path) == 0 &&
           mbedtls_pk_parse_keyfile(key, key_path, NULL, oe_crypto_random, NULL) == 0 &&
           mbedtls_pk_check_pair(&crt->pk, key, oe_crypto_random, NULL) == 0;
}

int oe_tls_auto_cert(const char *state_dir, const char *const *hostnames, size_t n,
                     char **cert_path, char **key_path, char **ca_path, char **err)
{
    return oe_tls_auto_cert_leaf(state_dir, "cert", hostnames, n, cert_path, key_path, ca_path,
                                 err);
}

int oe_tls_auto_cert_leaf(const char *state_dir, const char *leaf_name,
                          const char *const *hostnames, size_t n, char **cert_path, char **key_path,
                          char **ca_path, char **err)
{
    names_t want = {0}, have = {0};
    mbedtls_x509_crt ca, leaf;
    mbedtls_pk_context ca_key, leaf_key;
    mbedtls_x509_san_list *san = NULL;
    char *ca_crt_p = oe_asprintf("%s/ca.pem", state_dir);
    char *ca_key_p = oe_asprintf("%s/ca.key", state_dir);
    char *crt_p = oe_asprintf("%s/%s.pem", state_dir, leaf_name);
    char *key_p = oe_asprintf("%s/%s.key", state_dir, leaf_name);
    char *ca_subject = NULL, *leaf_subject = NULL;
    int rc = OE_OK, result = 0;
    time_t now = time(NULL);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&leaf);
    mbedtls_pk_init(&ca_key);
    mbedtls_pk_init(&leaf_key);

    if (oe_tls_global_init() != OE_OK) {
        oe_tls__set_err(err, oe_asprintf("auto cert: crypto initialisation failed"));
        rc = OE_ECRYPTO;
        goto out;
    }
    if (n == 0) {
        oe_tls__set_err(err, oe_asprintf("auto cert: no host names"));
        rc = OE_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t ip[16];
        size_t iplen;
        if (!is_ip(hostnames[i], ip, &iplen) &&
            !oe_host_name_valid(OE_SLICE_STR(hostnames[i]), true)) {
            oe_tls__set_err(
                err, oe_asprintf("auto cert: \"%s\" is not a valid host name", hostnames[i]));
            rc = OE_EINVAL;
            goto out;
        }
        names_add(&want, hostnames[i], strlen(hostnames[i]));
    }
    for (size_t i = 0; i < OE_ARRAY_SIZE(implicit_ips); i++)
        names_add(&want, implicit_ips[i], strlen(implicit_ips[i]));

    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
        oe_tls__set_err(err, oe_asprintf("%s: %s", state_dir, strerror(errno)));
        goto out;
    }

    /* The CA: reuse it when it is whole and valid for a while, else make a new one. */
    if (!load_pair(ca_crt_p, ca_key_p, &ca, &ca_key) || !ca.private_ca_istrue ||
        !valid_for(&ca, now, (time_t)RENEW_DAYS * DAY)) {
        unsigned char id[4];
        char hex[9];
        mbedtls_x509_crt_free(&ca);
        mbedtls_x509_crt_init(&ca);
        mbedtls_pk_free(&ca_key);
        mbedtls_pk_init(&ca_key);
        if ((rc = oe_crypto_random(NULL, id, sizeof(id))) != 0 || (rc = gen_key(&ca_key)) != 0) {
            oe_tls__set_err(err, oe_tls__mbed_msg("auto cert: CA key generation", rc));
            rc = OE_ECRYPTO;
            goto out;
        }
        oe_hex_encode(hex, id, sizeof(id));
        /* One attribute only, so the issuer name the leaf carries is exactly this string. */
        ca_subject = oe_asprintf("CN=odoh-edge local CA %s", hex);
        if ((rc = write_key(ca_key_p, &ca_key, err)) != OE_OK ||
            (rc = write_cert(ca_crt_p, &ca_key, &ca_key, ca_subject, ca_subject, CA_DAYS, NULL,
                             err)) != OE_OK)
            goto out;
        if (mbedtls_x509_crt_parse_file(&ca, ca_crt_p) != 0) {
            oe_tls__set_err(err,
                            oe_asprintf("auto cert: %s: cannot read back the new CA", ca_crt_p));
            rc = OE_ECRYPTO;
            goto out;
        }
        result |= OE_TLS_AUTO_NEW_CA;
    } else {
        char dn[512];
        if (mbedtls_x509_dn_gets(dn, sizeof(dn), &ca.subject) < 0) {
            oe_tls__set_err(err, oe_asprintf("auto cert: %s: unreadable subject", ca_crt_p));
            rc = OE_EFORMAT;
            goto out;
        }
        ca_subject = oe_strdup(dn);
    }

    /* The leaf: reuse it when it chains to this CA, covers exactly these names and lasts. */
    bool reuse = false;
    if (!(result & OE_TLS_AUTO_NEW_CA) && load_pair(crt_p, key_p, &leaf, &leaf_key)) {
        uint32_t flags = 0;
        cert_names(&leaf, &have);
        reuse = mbedtls_x509_crt_verify(&leaf, &ca, NULL, NULL, &flags, NULL, NULL) == 0 &&
                valid_for(&leaf, now, (time_t)RENEW_DAYS * DAY) && names_equal(&have, &want);
    }
    if (!reuse) {
        mbedtls_pk_free(&leaf_key);
        mbedtls_pk_init(&leaf_key);
        if ((rc = gen_key(&leaf_key)) != 0) {
            oe_tls__set_err(err, oe_tls__mbed_msg("auto cert: key generation", rc));
            rc = OE_ECRYPTO;
            goto out;
        }
        /* DNS names first (in the caller's order), then IP addresses. mbedtls writes the list
         * back to front, so build it by prepending. */
        uint8_t(*ips)[16] = oe_calloc(want.n, 16);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < want.n; i++) {
                size_t iplen = 0;
                bool ip = is_ip(want.v[i], ips[i], &iplen);
                if (ip != (pass == 1))
                    continue;
                mbedtls_x509_san_list *node = oe_calloc(1, sizeof(*node));
                node->node.type = ip ? MBEDTLS_X509_SAN_IP_ADDRESS : MBEDTLS_X509_SAN_DNS_NAME;
                node->node.san.unstructured_name.p = ip ? ips[i] : (unsigned char *)want.v[i];
                node->node.san.unstructured_name.len = ip ? iplen : strlen(want.v[i]);
                node->next = san;
                san = node;
            }
        }
        leaf_subject = oe_asprintf("CN=%s", want.v[0]);
        rc = write_key(key_p, &leaf_key, err);
        if (rc == OE_OK)
            rc = write_cert(crt_p, &leaf_key, &ca_key, leaf_subject, ca_subject, LEAF_DAYS, san,
                            err);
        free(ips);
        if (rc != OE_OK)
            goto out;
        result |= OE_TLS_AUTO_NEW_LEAF;
    }
    rc = result;
out:
    oe_tls__san_list_free(san);
    names_free(&want);
    names_free(&have);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&leaf);
    mbedtls_pk_free(&ca_key);
    mbedtls_pk_free(&leaf_key);
    free(ca_subject);
    free(leaf_subject);
    free(ca_key_p);
    if (rc >= 0 && cert_path != NULL)
        *cert_path = crt_p;
    else
        free(crt_p);
    if (rc >= 0 && key_path != NULL)
        *key_path = key_p;
    else
        free(key_p);
    if (rc >= 0 && ca_path != NULL)
        *ca_path = ca_crt_p;
    else
        free(ca_crt_p);
    return rc;
}
