/*
 * The acme module's files in STATE/acme/: the account key (ACCT.key: P-256 as 64 hex digits, or
 * RSA as PEM; 0600, made when missing) and the account URL with its directory (ACCT.url); per
 * site, the certificate pair (NAME.pem, NAME.key), the last error (NAME.error), the renewalInfo
 * pick (NAME.ari) and the request of `odoh-edge acme renew` (NAME.renew). Everything is written
 * with core's oe_file_write_atomic (temporary file, fsync, rename), secrets with mode 0600. ACCT
 * is "account", or "account-rsa" for account-key = rsa2048. No network here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme_int.h"
#include "core/fs.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"

void oe_acme__site_file(const oe_site_t *site, const char *state_dir, const char *ext, char *out,
                        size_t cap)
{
    char cert[4096], key[4096];
    oe_http_acme_paths(site, state_dir, cert, key, sizeof(cert));
    size_t n = strlen(cert) - strlen(".pem");
    snprintf(out, cap, "%.*s.%s", (int)n, cert, ext);
}

/* Writes STATE/acme/NAME.ext (0600), or removes it when text is NULL. */
static void site_put(const acme_t *a, const acme_site_t *s, const char *ext, const char *text)
{
    char path[4200];
    oe_acme__site_file(s->site, a->state_dir, ext, path, sizeof(path));
    if (text == NULL)
        unlink(path);
    else
        oe_file_write_atomic(path, text, strlen(text), 0600);
}

void oe_acme__store_error(const acme_t *a, const acme_site_t *s, const char *msg)
{
    if (msg == NULL) {
        site_put(a, s, "error", NULL);
        return;
    }
    char *text = oe_asprintf("%lld %s\n", (long long)time(NULL), msg);
    site_put(a, s, "error", text);
    free(text);
}

void oe_acme__store_ari(const acme_t *a, const acme_site_t *s, const char *text)
{
    site_put(a, s, "ari", text);
}

/* `odoh-edge acme renew` leaves STATE/acme/NAME.renew; it stays until a certificate arrives, so
 * that a reload or a restart in between still honours it. */
bool oe_acme__renew_asked(const acme_t *a, const acme_site_t *s)
{
    char path[4200];
    oe_acme__site_file(s->site, a->state_dir, "renew", path, sizeof(path));
    return access(path, F_OK) == 0;
}

void oe_acme__renew_done(const acme_t *a, const acme_site_t *s)
{
    site_put(a, s, "renew", NULL);
}

int oe_acme__store_cert(const char *key_pem, oe_slice_t chain, const char *cert, const char *key)
{
    /* The key first: a crash between the two leaves a pair that does not match, which the next
     * start refuses (and orders anew), never a certificate without its key. */
    int rc = oe_file_write_atomic(key, key_pem, strlen(key_pem), 0600);
    if (rc == 0)
        rc = oe_file_write_atomic(cert, chain.base, chain.len, 0644);
    return rc;
}

/* ---- the account ----------------------------------------------------------------------------- */

/* STATE/acme/ACCT.ext */
static void account_file(const acme_t *a, const char *ext, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.%s", a->dir, a->acct, ext);
}

void oe_acme__account_save(acme_t *a, const char *kid)
{
    a->kid = oe_strdup(kid);
    /* Registered once: the account URL is kept with the directory it belongs to. */
    char path[4200];
    account_file(a, "url", path, sizeof(path));
    char *text = oe_asprintf("%s\n%s\n", a->conf->directory, kid);
    oe_file_write_atomic(path, text, strlen(text), 0600);
    free(text);
}

void oe_acme__account_forget(acme_t *a)
{
    char path[4200];
    account_file(a, "url", path, sizeof(path));
    unlink(path);
    free(a->kid);
    a->kid = NULL;
}

/* The RSA account key (account-key = rsa2048): ACCT.key as PEM, made when missing. */
static int load_rsa_account(acme_t *a, const char *path)
{
    uint8_t *buf = oe_malloc(16384);
    int n = oe_file_read_secret(path, buf, 16384);
    int rc = 0;
    if (n >= 0) {
        a->key.rsa = oe_crypto_rsa_parse(buf, (size_t)n);
        if (a->key.rsa == NULL) {
            oe_log_error(TAG, "%s: not an RSA private key of 2048 bits or more", path);
            rc = OE_EFORMAT;
        }
    } else if (n == -ENOENT) {
        oe_buf_t pem = {0};
        a->key.rsa = oe_crypto_rsa_generate(2048);
        rc = a->key.rsa != NULL ? oe_crypto_rsa_write_pem(a->key.rsa, &pem) : OE_ECRYPTO;
        if (rc == 0)
            rc = oe_file_write_atomic(path, pem.base, pem.len, 0600);
        if (rc == 0)
            oe_log_info(TAG, "generated an ACME account key (RSA 2048) in %s", path);
        else
            oe_log_error(TAG, "%s: %s", path, oe_strerror(rc));
        oe_wipe(pem.base, pem.len);
        oe_buf_free(&pem);
    } else {
        oe_log_error(TAG, "%s: %s", path, oe_strerror(n));
        rc = n;
    }
    oe_wipe(buf, 16384);
    free(buf);
    return rc;
}

/* The P-256 account key (the default): ACCT.key as 64 hex digits, made when missing. */
static int load_ec_account(acme_t *a, const char *path)
{
    char hex[2 * OE_CRYPTO_P256_SK_LEN + 2];
    uint8_t d[OE_CRYPTO_P256_SK_LEN];
    int rc = oe_file_read_key_line(path, hex, 2 * OE_CRYPTO_P256_SK_LEN);
    if (rc == 0) {
        rc = oe_hex_decode(d, sizeof(d), hex, 2 * OE_CRYPTO_P256_SK_LEN) == (int)sizeof(d)
                 ? oe_crypto_p256_from_private(&a->key.ec, d, sizeof(d))
                 : OE_EFORMAT;
        if (rc != 0)
            oe_log_error(TAG, "%s: not an account key (64 hex digits): %s", path, oe_strerror(rc));
    } else if (rc == -ENOENT) {
        rc = oe_crypto_p256_generate(&a->key.ec, oe_crypto_random, NULL);
        if (rc == 0) {
            oe_hex_encode(hex, a->key.ec.d, sizeof(a->key.ec.d));
            hex[2 * OE_CRYPTO_P256_SK_LEN] = '\n';
            rc = oe_file_write_atomic(path, hex, 2 * OE_CRYPTO_P256_SK_LEN + 1, 0600);
            if (rc == 0)
                oe_log_info(TAG, "generated an ACME account key in %s", path);
            else
                oe_log_error(TAG, "%s: %s", path, oe_strerror(rc));
        }
    } else {
        oe_log_error(TAG, "%s: %s", path, oe_strerror(rc));
    }
    oe_wipe(hex, sizeof(hex));
    oe_wipe(d, sizeof(d));
    return rc;
}

int oe_acme__account_load(acme_t *a)
{
    char path[4200];
    account_file(a, "key", path, sizeof(path));
    a->key.alg = a->conf->account_key == OE_ACME_RS256 ? OE_ACME_RS256 : OE_ACME_ES256;
    int rc = a->key.alg == OE_ACME_RS256 ? load_rsa_account(a, path) : load_ec_account(a, path);
    if (rc != 0)
        return rc;
    oe_acme_thumbprint(a->thumb, &a->key);
    /* The account URL, if this key was registered with this directory before. */
    account_file(a, "url", path, sizeof(path));
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        char dir[URL_MAX + 2], kid[URL_MAX + 2];
        if (fgets(dir, sizeof(dir), f) && fgets(kid, sizeof(kid), f)) {
            dir[strcspn(dir, "\n")] = '\0';
            kid[strcspn(kid, "\n")] = '\0';
            if (strcmp(dir, a->conf->directory) == 0 && kid[0] != '\0')
                a->kid = oe_strdup(kid);
        }
        fclose(f);
    }
    return 0;
}
