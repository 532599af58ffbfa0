/*
 * hpke_tool: a line-oriented driver of modules/hpke for cross-checks against other HPKE
 * implementations (tests/integration/20-hpke-npm.sh). Reads one command per line from stdin and
 * writes one answer line per command to stdout. Byte strings are lower-case hex, "-" for empty.
 *
 *   keygen                                    -> sk pk
 *   seal AEAD PK INFO AAD PT EXPCTX L         -> enc ct exported      (ct "-" for export-only)
 *   open AEAD SK ENC INFO AAD CT EXPCTX L     -> pt exported          or "error CODE"
 *
 * AEAD is the decimal RFC 9180 id (1, 2, 3, 65535). The suite is always DHKEM(X25519,
 * HKDF-SHA256) with HKDF-SHA256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpke/hpke.h"
#include "crypto/encode.h"

#define MAX_BYTES 65536

typedef struct field {
    uint8_t *b;
    size_t len;
} field_t;

static int unhex(field_t *f, const char *s)
{
    size_t n = strlen(s);
    int rc;

    f->b = malloc(n / 2 + 1);
    f->len = 0;
    if (f->b == NULL)
        return -1;
    if (strcmp(s, "-") == 0)
        return 0;
    rc = oe_hex_decode(f->b, n / 2 + 1, s, n);
    if (rc < 0)
        return -1;
    f->len = (size_t)rc;
    return 0;
}

static void puthex(const uint8_t *b, size_t n)
{
    static char buf[2 * MAX_BYTES + 1];
    if (n == 0) {
        fputs("-", stdout);
        return;
    }
    oe_hex_encode(buf, b, n);
    fputs(buf, stdout);
}

static int run(char **argv, int argc)
{
    static uint8_t out[MAX_BYTES + OE_HPKE_NT], exported[OE_HPKE_EXPORT_MAX];
    oe_hpke_suite_t suite = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, 0};
    field_t f[6] = {{0}};
    oe_hpke_keypair_t kp;
    oe_hpke_ctx_t ctx;
    uint8_t enc[OE_HPKE_NENC];
    size_t L;
    int rc = OE_EINVAL, n = 0;

    if (argc == 1 && strcmp(argv[0], "keygen") == 0) {
        rc = oe_hpke_generate_keypair(&kp, oe_crypto_random, NULL);
        if (rc == 0) {
            puthex(kp.sk, sizeof(kp.sk));
            fputc(' ', stdout);
            puthex(kp.pk, sizeof(kp.pk));
            fputc('\n', stdout);
        }
        oe_hpke_keypair_wipe(&kp);
        return rc;
    }
    if (!(argc == 8 && strcmp(argv[0], "seal") == 0) &&
        !(argc == 9 && strcmp(argv[0], "open") == 0))
        return OE_EINVAL;
    suite.aead = (uint16_t)strtoul(argv[1], NULL, 10);
    L = strtoul(argv[argc - 1], NULL, 10);
    for (int i = 0; i < argc - 3; i++)
        if (unhex(&f[i], argv[2 + i]) != 0)
            goto out;
    if (L == 0 || L > sizeof(exported))
        goto out;
    if (argv[0][0] == 's') {
        /* f: pk info aad pt expctx */
        rc = oe_hpke_setup_base_s(&ctx, enc, &suite, f[0].b, f[0].len, OE_SLICE(f[1].b, f[1].len),
                                  oe_crypto_random, NULL);
        if (rc == 0 && suite.aead != OE_HPKE_AEAD_EXPORT_ONLY)
            n = rc = oe_hpke_seal(&ctx, out, sizeof(out), OE_SLICE(f[2].b, f[2].len),
                                  OE_SLICE(f[3].b, f[3].len));
        if (rc >= 0)
            rc = oe_hpke_export(&ctx, exported, L, OE_SLICE(f[4].b, f[4].len));
        if (rc == 0) {
            puthex(enc, sizeof(enc));
            fputc(' ', stdout);
            puthex(out, (size_t)n);
        }
    } else {
        /* f: sk enc info aad ct expctx */
        rc = oe_hpke_keypair_from_private(&kp, f[0].b, f[0].len);
        if (rc == 0)
            rc = oe_hpke_setup_base_r(&ctx, &suite, f[1].b, f[1].len, &kp,
                                      OE_SLICE(f[2].b, f[2].len));
        if (rc == 0 && suite.aead != OE_HPKE_AEAD_EXPORT_ONLY)
            n = rc = oe_hpke_open(&ctx, out, sizeof(out), OE_SLICE(f[3].b, f[3].len),
                                  OE_SLICE(f[4].b, f[4].len));
        if (rc >= 0)
            rc = oe_hpke_export(&ctx, exported, L, OE_SLICE(f[5].b, f[5].len));
        if (rc == 0)
            puthex(out, (size_t)n);
        oe_hpke_keypair_wipe(&kp);
    }
    if (rc == 0) {
        fputc(' ', stdout);
        puthex(exported, L);
        fputc('\n', stdout);
    }
    oe_hpke_ctx_wipe(&ctx);
out:
    for (int i = 0; i < 6; i++)
        free(f[i].b);
    return rc;
}

int main(void)
{
    static char line[8 * (2 * MAX_BYTES + 16)];
    char *argv[16];

    while (fgets(line, sizeof(line), stdin) != NULL) {
        int argc = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok != NULL && argc < 16;
             tok = strtok(NULL, " \t\r\n"))
            argv[argc++] = tok;
        if (argc == 0)
            continue;
        int rc = run(argv, argc);
        if (rc != 0)
            printf("error %d %s\n", rc, oe_strerror(rc));
        fflush(stdout);
    }
    return 0;
}
