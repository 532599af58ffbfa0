/*
 * ODoH target microbenchmark, one thread (= per core): how many queries per second this machine
 * can open and answer, i.e. SetupBaseR + Open + Export("odoh response") + response Seal, for a
 * 50-byte DNS query padded to 128 bytes and a 120-byte answer padded to 468. Measured with the
 * our own X25519 (the default; Everest where a target has no 128-bit product), with the Everest
 * X25519 and with mbedtls' generic ECP X25519 in the same run. Also the bare X25519 rate.
 *
 * Rates are operations per second of this thread's CPU time, so other load on the machine does
 * not lower them (it only stretches the run). Each measurement stops after OE_BENCH_SECONDS of CPU
 * time (default 1.5) or four times that of wall time, whichever comes first.
 *
 * Output: machine-readable "name value" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto/crypto.h"
#include "odoh/odoh.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct timer {
    double cpu0, wall0, limit;
} timer_t_;

static timer_t_ timer_start(double seconds)
{
    return (timer_t_){clock_s(CLOCK_THREAD_CPUTIME_ID), clock_s(CLOCK_MONOTONIC), seconds};
}

/* CPU seconds used so far, or a negative value once the time is up. */
static double timer_cpu(const timer_t_ *t, int *done)
{
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - t->cpu0;
    *done = cpu >= t->limit || clock_s(CLOCK_MONOTONIC) - t->wall0 >= 4 * t->limit;
    return cpu;
}

typedef struct bench {
    oe_odoh_key_t key;
    uint8_t query[512];
    size_t query_len;
    uint8_t answer[120];
} bench_t;

static void die(const char *what, int rc)
{
    fprintf(stderr, "hpke_bench: %s: %s\n", what, oe_strerror(rc));
    exit(1);
}

static void target_op(const bench_t *b)
{
    uint8_t plain[512], out[1024];
    oe_odoh_txn_t txn;
    oe_slice_t dns;
    int rc;

    rc = oe_odoh_query_open(&b->key, 1, b->query, b->query_len, plain, sizeof(plain), &dns, &txn);
    if (rc != 0)
        die("query open", rc);
    rc = oe_odoh_response_seal(out, sizeof(out), &txn, OE_SLICE(b->answer, sizeof(b->answer)),
                               oe_odoh_pad_len(sizeof(b->answer), OE_ODOH_PAD_RESPONSE_BLOCK),
                               oe_crypto_random, NULL);
    if (rc < 0)
        die("response seal", rc);
    oe_odoh_txn_wipe(&txn);
}

/* Runs op until `seconds` have passed; returns operations per second. */
static double measure_target(const bench_t *b, double seconds)
{
    timer_t_ tm = timer_start(seconds);
    double cpu;
    long n = 0;
    int done;
    do {
        for (int i = 0; i < 16; i++)
            target_op(b);
        n += 16;
        cpu = timer_cpu(&tm, &done);
    } while (!done);
    return (double)n / cpu;
}

static double measure_x25519(const bench_t *b, double seconds)
{
    uint8_t out[32], pk[32];
    timer_t_ tm = timer_start(seconds);
    double cpu;
    long n = 0;
    int done;
    memcpy(pk, b->key.kp.pk, 32);
    do {
        for (int i = 0; i < 16; i++) {
            if (oe_hpke_x25519(out, b->key.kp.sk, pk) != 0)
                die("x25519", OE_ECRYPTO);
            pk[0] ^= out[0] & 1; /* keep the compiler from hoisting the call */
        }
        n += 16;
        cpu = timer_cpu(&tm, &done);
    } while (!done);
    return (double)n / cpu;
}

int main(void)
{
    static bench_t b;
    const char *env = getenv("OE_BENCH_SECONDS");
    double secs = env != NULL ? atof(env) : 1.5;
    uint8_t dns[50];
    oe_odoh_txn_t txn;
    int rc;

    if (secs <= 0)
        secs = 1.5;
    /* A plausible 50-byte query: header, a QNAME of 34 bytes, QTYPE/QCLASS, and filler. */
    for (size_t i = 0; i < sizeof(dns); i++)
        dns[i] = (uint8_t)(i * 37 + 11);
    for (size_t i = 0; i < sizeof(b.answer); i++)
        b.answer[i] = (uint8_t)(i * 53 + 3);
    rc = oe_odoh_key_generate(&b.key, OE_HPKE_AEAD_AES128GCM, oe_crypto_random, NULL);
    if (rc != 0)
        die("key", rc);
    rc = oe_odoh_query_seal(
        b.query, sizeof(b.query), &txn, &b.key.config, OE_SLICE(dns, sizeof(dns)),
        oe_odoh_pad_len(sizeof(dns), OE_ODOH_PAD_QUERY_BLOCK), oe_crypto_random, NULL);
    if (rc < 0)
        die("query seal", rc);
    b.query_len = (size_t)rc;
    oe_odoh_txn_wipe(&txn);

    target_op(&b); /* warm-up */
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_OWN);
    double x_own = measure_x25519(&b, secs / 2);
    double own = measure_target(&b, secs);
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_EVEREST);
    double x_ev = measure_x25519(&b, secs / 2);
    double ev = measure_target(&b, secs);
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_GENERIC);
    double x_gen = measure_x25519(&b, secs / 2);
    double gen = measure_target(&b, secs);
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_OWN);

    printf("odoh_query_bytes %zu\n", b.query_len);
    printf("x25519_impl %s\n", oe_crypto_x25519_name());
    printf("x25519_ops_per_sec_own %.0f\n", x_own);
    printf("x25519_ops_per_sec_everest %.0f\n", x_ev);
    printf("x25519_ops_per_sec_generic %.0f\n", x_gen);
    printf("odoh_target_ops_per_sec_own %.0f\n", own);
    printf("odoh_target_ops_per_sec_everest %.0f\n", ev);
    printf("odoh_target_ops_per_sec_generic %.0f\n", gen);
    printf("odoh_target_everest_speedup %.2f\n", ev / gen);
    oe_odoh_key_wipe(&b.key);
    return 0;
}
