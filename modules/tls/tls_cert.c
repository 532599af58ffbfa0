/*
 * Certificates and keys of the tls module: reading PEM/DER files with errors that name the file,
 * chains and private keys (type, size and file mode checked), the subjectAltName lists, name
 * matching and SNI selection, adding a certificate to a server and replacing one's chain and key
 * (oe_tls_cert_replace, for ACME renewals).
 */
#include "tls/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "crypto/crypto.h"
#include "tls/tls_int.h"

#define MAX_PEM_FILE   (16u << 20) /* a CA bundle is ~200 KiB; anything near this is a mistake */
#define MIN_RSA_BITS   2048        /* what our client's X.509 profile and OpenSSL's level 2 ask */
#define SUPPORTED_KEYS "RSA of 2048 bits or more, ECDSA P-256 or P-384"

int oe_tls__check_key_mode(const char *path, char **err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        oe_tls__set_err(err,
                        oe_asprintf("%s: cannot read the private key file: %s", path, strerror(e)));
        return -e;
    }
    if ((st.st_mode & 077) != 0) {
        oe_tls__set_err(err,
                        oe_asprintf("%s: private key is readable by group or others (mode %04o); "
                                    "run chmod 600 %s",
                                    path, (unsigned)(st.st_mode & 07777), path));
        return OE_TLS_EKEYPERM;
    }
    return OE_OK;
}

/* ---- reading certificate and key files ------------------------------------------------ */

/* Reads a whole regular file into *out (heap, NUL-terminated; the caller wipes and frees it) and
 * its length without the NUL into *len. mbedtls's own file loaders only say "PK - Read/write of
 * file failed"; this says which file and the OS error: "PATH: cannot read the WHAT file: No such
 * file or directory". Returns OE_OK or -errno. */
int oe_tls__read_file(const char *path, const char *what, char **out, size_t *len, char **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int e = 0;
    if (fd < 0 || fstat(fd, &st) != 0) {
        e = errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto fail;
    }
    if ((uint64_t)st.st_size > MAX_PEM_FILE) {
        e = EFBIG;
        goto fail;
    }
    cap = (size_t)st.st_size;
    buf = oe_malloc(cap + 1);
    while (n < cap) { /* a file that shrank meanwhile ends early: use what is there */
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return OE_OK;
fail:
    if (fd >= 0)
        close(fd);
    if (buf != NULL) {
        oe_wipe(buf, cap + 1);
        free(buf);
    }
    oe_tls__set_err(err, oe_asprintf("%s: cannot read the %s file: %s", path, what,
                                     e == EINVAL ? "not a regular file" : strerror(e)));
    return -e;
}

void oe_tls__free_file(char *buf, size_t len)
{
    oe_wipe(buf, len + 1);
    free(buf);
}

/* mbedtls's codes for "this key type or curve is not compiled in" (a high-level code may carry
 * a low-level one in its last 7 bits). */
static bool unsupported_key(int mbed_err)
{
    int hi = -(-mbed_err & 0xff80);
    return hi == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || hi == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE ||
           hi == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE || hi == MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
}

/* Parses each PEM certificate of the file (or the one DER certificate) into chain, in file order,
 * and names the one that fails: "PATH: certificate 2: X509 - ... (-0x2300)". */
static int load_chain(mbedtls_x509_crt *chain, const char *path, char **err)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    char *buf = NULL;
    size_t len = 0;
    int rc = oe_tls__read_file(path, "certificate", &buf, &len, err);
    if (rc != OE_OK)
        return rc;
    size_t count = 0;
    int mrc = 0;
    if (len > 0 && strstr(buf, "-----BEGIN") == NULL) {
        count = 1;
        mrc = mbedtls_x509_crt_parse_der(chain, (const unsigned char *)buf, len);
        if (mrc != 0 && !unsupported_key(mrc)) {
            oe_tls__set_err(err,
                            oe_asprintf("%s: not a PEM certificate (no \"%s\" line) nor a DER one",
                                        path, begin));
            rc = OE_EFORMAT;
            goto out;
        }
    }
    for (char *p = buf; mrc == 0 && (p = strstr(p, begin)) != NULL;) {
        char *e = strstr(p, end);
        count++;
        if (e == NULL) {
            oe_tls__set_err(
                err, oe_asprintf("%s: certificate %zu has no \"%s\" line", path, count, end));
            rc = OE_EFORMAT;
            goto out;
        }
        e += sizeof(end) - 1;
        /* mbedtls parses PEM only from a NUL-terminated buffer: cut this block out in place. */
        char saved = *e;
        *e = '\0';
        mrc = mbedtls_x509_crt_parse(chain, (const unsigned char *)p, (size_t)(e - p) + 1);
        *e = saved;
        p = e;
    }
    if (mrc != 0) {
        char *what = oe_asprintf("%s: certificate %zu", path, count);
        char *msg = oe_tls__mbed_msg(what, mrc);
        if (unsupported_key(mrc))
            oe_tls__set_err(err, oe_asprintf("%s; supported keys: %s", msg, SUPPORTED_KEYS));
        else
            oe_tls__set_err(err, oe_strdup(msg));
        free(msg);
        free(what);
        rc = OE_EFORMAT;
    } else if (count == 0) {
        if (strstr(buf, "PRIVATE KEY-----") != NULL)
            oe_tls__set_err(err,
                            oe_asprintf("%s: holds a private key, not a certificate (cert and key "
                                        "swapped?)",
                                        path));
        else
            oe_tls__set_err(err, oe_asprintf("%s: no certificate in the file (expected PEM \"%s\")",
                                             path, begin));
        rc = OE_EFORMAT;
    }
out:
    oe_tls__free_file(buf, len);
    return rc;
}

/* Loads an unencrypted PEM or DER private key (PKCS#1, SEC1 or PKCS#8) of a supported type and
 * size, from a file that only its owner may read (oe_tls__check_key_mode). The file's content is
 * judged first, so that a certificate given as the key is named as such. */
static int load_key(mbedtls_pk_context *key, const char *path, char **err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = oe_tls__read_file(path, "private key", &buf, &len, err);
    if (rc != OE_OK)
        return rc;
    bool pem = strstr(buf, "-----BEGIN") != NULL;
    /* PEM is parsed only when the NUL is counted; DER must end exactly at its last byte. */
    int mrc = mbedtls_pk_parse_key(key, (const unsigned char *)buf, pem ? len + 1 : len, NULL, 0,
                                   oe_crypto_random, NULL);
    rc = OE_EFORMAT;
    if (mrc != 0 && (mrc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ||
                     strstr(buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                     strstr(buf, "Proc-Type: 4,ENCRYPTED") != NULL)) {
        oe_tls__set_err(err,
                        oe_asprintf("%s: the private key is encrypted; odoh-edge needs it "
                                    "unencrypted (mode 0600), e.g. openssl pkey -in %s -out NEW",
                                    path, path));
    } else if (mrc != 0 && unsupported_key(mrc)) {
        char *what =
            oe_asprintf("%s: unsupported private key type (supported: %s)", path, SUPPORTED_KEYS);
        oe_tls__set_err(err, oe_tls__mbed_msg(what, mrc));
        free(what);
    } else if (mrc != 0 && strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL &&
               strstr(buf, "PRIVATE KEY-----") == NULL) {
        oe_tls__set_err(err, oe_asprintf("%s: holds a certificate, not a private key (cert and key "
                                         "swapped?)",
                                         path));
    } else if (mrc != 0) {
        char *what = oe_asprintf("%s: not a PEM or DER private key", path);
        oe_tls__set_err(err, oe_tls__mbed_msg(what, mrc));
        free(what);
    } else if ((rc = oe_tls__check_key_mode(path, err)) != OE_OK) {
        /* *err set */
    } else if (mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA &&
               mbedtls_pk_get_bitlen(key) < MIN_RSA_BITS) {
        oe_tls__set_err(err,
                        oe_asprintf("%s: RSA key of %zu bits is too small (clients refuse it; use "
                                    "%d bits or more)",
                                    path, mbedtls_pk_get_bitlen(key), MIN_RSA_BITS));
        rc = OE_ECONFIG;
    } else {
        rc = OE_OK;
    }
    oe_tls__free_file(buf, len);
    return rc;
}

/* ---- certificates ------------------------------------------------------------------------ */

void oe_tls__cert_free(oe_tls_cert_t *cert)
{
    if (cert == NULL)
        return;
    mbedtls_x509_crt_free(&cert->chain);
    mbedtls_pk_free(&cert->key);
    for (cert_material_t *m = atomic_load(&cert->current), *older; m != NULL; m = older) {
        older = m->older;
        mbedtls_x509_crt_free(&m->chain);
        mbedtls_pk_free(&m->key);
        free(m);
    }
    for (size_t i = 0; i < cert->nnames; i++)
        free(cert->names[i]);
    free(cert->names);
    free(cert);
}

static void add_name(oe_tls_cert_t *cert, char *name)
{
    cert->names = oe_realloc(cert->names, (cert->nnames + 1) * sizeof(char *));
    cert->names[cert->nnames++] = name;
}

void oe_tls__san_names(const mbedtls_x509_crt *crt,
                       void (*add)(void *arg, const char *name, size_t len), void *arg)
{
    for (int pass = 0; pass < 2; pass++) {
        for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL; s = s->next) {
            mbedtls_x509_subject_alternative_name san;
            if (s->buf.p == NULL || mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
                continue;
            const mbedtls_x509_buf *v = &san.san.unstructured_name;
            if (pass == 0 && san.type == MBEDTLS_X509_SAN_DNS_NAME && v->len > 0 &&
                memchr(v->p, 0, v->len) == NULL) {
                add(arg, (const char *)v->p, v->len);
            } else if (pass == 1 && san.type == MBEDTLS_X509_SAN_IP_ADDRESS &&
                       (v->len == 4 || v->len == 16)) {
                char text[INET6_ADDRSTRLEN];
                if (inet_ntop(v->len == 4 ? AF_INET : AF_INET6, v->p, text, sizeof(text)))
                    add(arg, text, strlen(text));
            }
            mbedtls_x509_free_subject_alt_name(&san);
        }
    }
}

static void collect_name(void *arg, const char *name, size_t len)
{
    add_name(arg, oe_strndup(name, len));
}

/* Collects the leaf's SAN dNSNames, then iPAddresses, as text. */
static void collect_names(oe_tls_cert_t *cert)
{
    oe_tls__san_names(&cert->chain, collect_name, cert);
}

const char *oe_tls_cert_name(const oe_tls_cert_t *cert, size_t i)
{
    return cert != NULL && i < cert->nnames ? cert->names[i] : NULL;
}

size_t oe_tls_cert_name_count(const oe_tls_cert_t *cert)
{
    return cert != NULL ? cert->nnames : 0;
}

size_t oe_tls_cert_index(const oe_tls_cert_t *cert)
{
    return cert->index;
}

void oe_tls_cert_set_data(oe_tls_cert_t *cert, void *data)
{
    cert->data = data;
}

void *oe_tls_cert_data(const oe_tls_cert_t *cert)
{
    return cert->data;
}

/* Does one SAN name cover host? Wildcards match exactly one non-empty left-most label. */
static bool name_covers(const char *name, oe_slice_t host)
{
    size_t nlen = strlen(name);
    if (nlen > 2 && name[0] == '*' && name[1] == '.') {
        const uint8_t *dot = memchr(host.base, '.', host.len);
        if (dot == NULL || dot == host.base)
            return false;
        oe_slice_t rest = OE_SLICE(dot + 1, host.len - (size_t)(dot + 1 - host.base));
        return oe_slice_eq_nocase(rest, OE_SLICE(name + 2, nlen - 2));
    }
    return oe_slice_eq_nocase(host, OE_SLICE(name, nlen));
}

bool oe_tls_cert_covers(const oe_tls_cert_t *cert, oe_slice_t host)
{
    if (cert == NULL || host.len == 0)
        return false;
    if (host.base[host.len - 1] == '.')
        host.len--;
    if (host.len == 0)
        return false;
    for (size_t i = 0; i < cert->nnames; i++)
        if (name_covers(cert->names[i], host))
            return true;
    return false;
}

/* ---- SNI selection ----------------------------------------------------------------------- */

static const oe_tls_cert_t *pick_cert(const oe_tls_server_t *srv, oe_slice_t sni)
{
    if (srv->ncerts == 0)
        return NULL;
    if (sni.len > 0 && sni.base[sni.len - 1] == '.')
        sni.len--;
    if (sni.len > 0) {
        /* Exact names win over wildcards, whatever the certificate order. */
        for (size_t i = 0; i < srv->ncerts; i++)
            for (size_t j = 0; j < srv->certs[i]->nnames; j++)
                if (srv->certs[i]->names[j][0] != '*' &&
                    oe_slice_eq_nocase(sni, OE_SLICE_STR(srv->certs[i]->names[j])))
                    return srv->certs[i];
        for (size_t i = 0; i < srv->ncerts; i++)
            for (size_t j = 0; j < srv->certs[i]->nnames; j++)
                if (srv->certs[i]->names[j][0] == '*' && name_covers(srv->certs[i]->names[j], sni))
                    return srv->certs[i];
    }
    return srv->certs[0];
}

const oe_tls_cert_t *oe_tls_server_pick_cert(const oe_tls_server_t *srv, oe_slice_t sni)
{
    return pick_cert(srv, sni);
}

/* ---- a server's certificates: adding, replacing ------------------------------------------ */

int oe_tls_cert_replace(oe_tls_cert_t *cert, const char *cert_pem_path, const char *key_pem_path,
                        char **err)
{
    cert_material_t *m = oe_calloc(1, sizeof(*m));
    mbedtls_x509_crt_init(&m->chain);
    mbedtls_pk_init(&m->key);
    int rc = load_chain(&m->chain, cert_pem_path, err);
    if (rc == OE_OK)
        rc = load_key(&m->key, key_pem_path, err);
    if (rc == OE_OK && mbedtls_pk_check_pair(&m->chain.pk, &m->key, oe_crypto_random, NULL) != 0) {
        oe_tls__set_err(err, oe_asprintf("%s: private key does not match the certificate %s",
                                         key_pem_path, cert_pem_path));
        rc = OE_ECONFIG;
    }
    /* The names were chosen by, and the ORIGIN set computed for, the certificate replaced: the
     * new one must cover every one of its DNS names. (Its IP addresses are not asked for: a
     * temporary cert = auto leaf covers 127.0.0.1 and ::1, which no public CA issues.) */
    if (rc == OE_OK) {
        oe_tls_cert_t probe = {0}; /* only its names */
        oe_tls__san_names(&m->chain, collect_name, &probe);
        for (size_t i = 0; i < cert->nnames && rc == OE_OK; i++) {
            uint8_t ip[16];
            if (inet_pton(AF_INET, cert->names[i], ip) == 1 ||
                inet_pton(AF_INET6, cert->names[i], ip) == 1)
                continue;
            if (!oe_tls_cert_covers(&probe, OE_SLICE_STR(cert->names[i]))) {
                oe_tls__set_err(err, oe_asprintf("%s: does not cover %s, which the certificate it "
                                                 "replaces covers",
                                                 cert_pem_path, cert->names[i]));
                rc = OE_ECONFIG;
            }
        }
        for (size_t i = 0; i < probe.nnames; i++)
            free(probe.names[i]);
        free(probe.names);
    }
    if (rc != OE_OK) {
        mbedtls_x509_crt_free(&m->chain);
        mbedtls_pk_free(&m->key);
        free(m);
        return rc;
    }
    m->older = atomic_load(&cert->current);
    atomic_store_explicit(&cert->current, m, memory_order_release);
    return OE_OK;
}

int oe_tls_server_add_cert(oe_tls_server_t *srv, const char *cert_pem_path,
                           const char *key_pem_path, oe_tls_cert_t **out, char **err)
{
    oe_tls_cert_t *cert = oe_calloc(1, sizeof(*cert));
    mbedtls_x509_crt_init(&cert->chain);
    mbedtls_pk_init(&cert->key);

    int rc = load_chain(&cert->chain, cert_pem_path, err);
    if (rc != OE_OK)
        goto fail;
    rc = load_key(&cert->key, key_pem_path, err);
    if (rc != OE_OK)
        goto fail;
    if (mbedtls_pk_check_pair(&cert->chain.pk, &cert->key, oe_crypto_random, NULL) != 0) {
        oe_tls__set_err(err, oe_asprintf("%s: private key does not match the certificate %s",
                                         key_pem_path, cert_pem_path));
        rc = OE_ECONFIG;
        goto fail;
    }
    collect_names(cert);
    if (cert->nnames == 0) {
        oe_tls__set_err(err, oe_asprintf("%s: certificate has no subjectAltName DNS or IP names",
                                         cert_pem_path));
        rc = OE_EFORMAT;
        goto fail;
    }
    if (srv->ncerts == 0) {
        int mrc = mbedtls_ssl_conf_own_cert(&srv->conf, &cert->chain, &cert->key);
        if (mrc != 0) {
            oe_tls__set_err(err, oe_tls__mbed_msg("TLS default certificate", mrc));
            rc = OE_ECRYPTO;
            goto fail;
        }
    }
    cert->index = srv->ncerts;
    srv->certs = oe_realloc(srv->certs, (srv->ncerts + 1) * sizeof(*srv->certs));
    srv->certs[srv->ncerts++] = cert;
    if (out != NULL)
        *out = cert;
    return OE_OK;
fail:
    oe_tls__cert_free(cert);
    return rc;
}

size_t oe_tls_server_cert_count(const oe_tls_server_t *srv)
{
    return srv->ncerts;
}

oe_tls_cert_t *oe_tls_server_cert(const oe_tls_server_t *srv, size_t i)
{
    return i < srv->ncerts ? srv->certs[i] : NULL;
}
