/*
 * OHTTP gateway microbenchmark, one thread (= per core), the counterpart of hpke_bench's ODoH
 * target rate: how many DNS requests per second this machine can decapsulate and answer, i.e.
 * SetupBaseR + Open + Export("message/bhttp response") + Binary HTTP decode of a DoH POST (50-byte
 * query) + Binary HTTP encode of a 120-byte answer + response Seal (RFC 9458 §4.3, §4.4).
 * Rates are per CPU-second of this thread (OE_BENCH_SECONDS of CPU time, default 1.5).
 *
 * Output: machine-readable "name value" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "ohttp_bench: %s: %s\n", what, oe_strerror(rc));
    exit(1);
}

static oe_ohttp_key_t key;
static uint8_t request[512], answer[120];
static size_t request_len;

static void gateway_op(void)
{
    uint8_t plain[512], content[512], resp[512], out[1024];
    oe_ohttp_txn_t txn;
    oe_bhttp_field_t f[8];
    oe_bhttp_msg_t m;
    int rc = oe_ohttp_request_open(&key, 1, request, request_len, plain, sizeof(plain), &txn);
    if (rc < 0)
        die("request open", rc);
    rc = oe_bhttp_decode(&m, plain, (size_t)rc, f, 8, content, sizeof(content));
    if (rc < 0 || m.content.len != 50)
        die("bhttp decode", rc);
    oe_bhttp_field_t rf[] = {
        {OE_SLICE_STR("content-type"), OE_SLICE_STR("application/dns-message")},
        {OE_SLICE_STR("cache-control"), OE_SLICE_STR("no-store")}};
    rc = oe_bhttp_encode_response(resp, sizeof(resp), 200, rf, 2, OE_SLICE(answer, sizeof(answer)));
    if (rc < 0)
        die("bhttp encode", rc);
    rc = oe_ohttp_response_seal(out, sizeof(out), &txn, OE_SLICE(resp, (size_t)rc),
                                oe_crypto_random, NULL);
    if (rc < 0)
        die("response seal", rc);
    oe_ohttp_txn_wipe(&txn);
}

int main(void)
{
    const char *env = getenv("OE_BENCH_SECONDS");
    double secs = env != NULL ? atof(env) : 1.5;
    uint8_t dns[50], bhttp[512];
    oe_ohttp_config_t cfg;
    oe_ohttp_txn_t txn;
    if (secs <= 0)
        secs = 1.5;
    for (size_t i = 0; i < sizeof(dns); i++)
        dns[i] = (uint8_t)(i * 37 + 11);
    for (size_t i = 0; i < sizeof(answer); i++)
        answer[i] = (uint8_t)(i * 53 + 3);
    uint8_t ikm[32], buf[64];
    if (oe_crypto_random(NULL, ikm, sizeof(ikm)) != 0)
        die("random", OE_ECRYPTO);
    int rc = oe_ohttp_key_from_seed(&key, 1, OE_HPKE_AEAD_AES128GCM, ikm, sizeof(ikm));
    if (rc == 0)
        rc = oe_ohttp_config_encode(buf, sizeof(buf), &key);
    if (rc >= 0)
        rc = oe_ohttp_config_decode(&cfg, buf, (size_t)rc);
    if (rc < 0)
        die("key", rc);
    oe_bhttp_field_t f[] = {{OE_SLICE_STR("content-type"), OE_SLICE_STR("application/dns-message")},
                            {OE_SLICE_STR("accept"), OE_SLICE_STR("application/dns-message")}};
    rc = oe_bhttp_encode_request(bhttp, sizeof(bhttp), OE_SLICE_STR("POST"), OE_SLICE_STR("https"),
                                 OE_SLICE_STR("target.odoh.test"), OE_SLICE_STR("/dns-query"), f, 2,
                                 OE_SLICE(dns, sizeof(dns)));
    if (rc >= 0)
        rc = oe_ohttp_request_seal(request, sizeof(request), &txn, &cfg,
                                   OE_SLICE(bhttp, (size_t)rc), oe_crypto_random, NULL);
    if (rc < 0)
        die("request seal", rc);
    request_len = (size_t)rc;
    gateway_op(); /* warm-up */
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC), cpu;
    long n = 0;
    do {
        for (int i = 0; i < 16; i++)
            gateway_op();
        n += 16;
        cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    } while (cpu < secs && clock_s(CLOCK_MONOTONIC) - wall0 < 4 * secs);
    printf("ohttp_request_bytes %zu\n", request_len);
    printf("ohttp_gateway_ops_per_sec %.0f\n", (double)n / cpu);
    oe_ohttp_key_wipe(&key);
    return 0;
}
