/*
 * The crypto module: known answers for SHA-256 (FIPS 180-2), HMAC (RFC 4231), HKDF (RFC 5869),
 * the AEADs (vectors made with python3-cryptography 38), ECDSA P-256 (RFC 6979 A.2.5, and a
 * signature OpenSSL 3 made), the random generator across fork, and the constant-time encodings
 * (RFC 4648 §10).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/ecdsa.h"
#include "crypto/encode.h"
#include "unit/test.h"

TEST(crypto_sha256_fips180_vectors)
{
    uint8_t d[32];
    oe_crypto_sha256(d, "abc", 3);
    CHECK_HEX(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* One million 'a', streamed in uneven pieces. */
    static char a[1000];
    memset(a, 'a', sizeof(a));
    oe_crypto_sha256_t s;
    oe_crypto_sha256_init(&s);
    for (int i = 0; i < 1000; i++) {
        oe_crypto_sha256_update(&s, a, 1 + i % 7);
        oe_crypto_sha256_update(&s, a, sizeof(a) - 1 - i % 7);
    }
    oe_crypto_sha256_final(&s, d);
    CHECK_HEX(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* RFC 4231 §4.3 (case 2) and §4.7 (case 6, a key longer than a block), and a key of exactly one
 * block (python3 hmac). */
TEST(crypto_hmac_rfc4231_vectors)
{
    uint8_t mac[32], key[131];
    static const char m2[] = "what do ya want for nothing?";
    oe_crypto_hmac(mac, (const uint8_t *)"Jefe", 4, m2, sizeof(m2) - 1);
    CHECK_HEX(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    static const char m6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof(key));
    oe_crypto_hmac_t h;
    oe_crypto_hmac_init(&h, key, sizeof(key));
    oe_crypto_hmac_update(&h, m6, 10);
    oe_crypto_hmac_update(&h, m6 + 10, sizeof(m6) - 1 - 10);
    oe_crypto_hmac_final(&h, mac);
    CHECK_HEX(mac, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    memset(key, 0x01, 64);
    oe_crypto_hmac(mac, key, 64, "exactly one block", 17);
    CHECK_HEX(mac, 32, "4b55541c346bb159496cb4f43b76b5dbb1e49d6941d21ac841c59b1e6137912e");
}

/* RFC 5869 Appendix A.1 (HKDF-SHA256, basic case). */
TEST(crypto_hkdf_rfc5869_case1)
{
    uint8_t ikm[22], salt[13], info[10], prk[32], okm[42];
    size_t wl;
    for (size_t i = 0; i < sizeof(ikm); i++)
        ikm[i] = 0x0b;
    for (size_t i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof(info); i++)
        info[i] = (uint8_t)(0xf0 + i);
    oe_slice_t ikm_parts[] = {OE_SLICE(ikm, 5), OE_SLICE(ikm + 5, 17)};
    oe_slice_t info_parts[] = {OE_SLICE(info, 10)};
    CHECK_INT(oe_crypto_hkdf_extract(prk, OE_SLICE(salt, sizeof(salt)), ikm_parts, 2), 0);
    uint8_t *w =
        oe_test_unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", &wl);
    CHECK_MEM(prk, 32, w, wl);
    free(w);
    CHECK_INT(oe_crypto_hkdf_expand(okm, sizeof(okm), prk, info_parts, 1), 0);
    w = oe_test_unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8"
                      "87185865",
                      &wl);
    CHECK_MEM(okm, sizeof(okm), w, wl);
    free(w);
    CHECK_INT(oe_crypto_hkdf_expand(okm, 0, prk, info_parts, 1), OE_EINVAL);
}

/* The incremental salt gives the same PRK as the whole salt, on both sides of the HMAC block
 * size. */
TEST(crypto_salt_state_matches_one_shot_extract)
{
    static const size_t lens[] = {0, 1, 63, 64, 65, 127, 128, 500};
    uint8_t salt[500], a[32], b[32];
    for (size_t i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)(i * 7 + 1);
    for (size_t k = 0; k < OE_ARRAY_SIZE(lens); k++) {
        oe_crypto_salt_t s;
        oe_slice_t ikm = OE_SLICE_STR("secret");
        oe_crypto_salt_init(&s);
        oe_crypto_salt_update(&s, salt, lens[k] / 3);
        oe_crypto_salt_update(&s, salt + lens[k] / 3, lens[k] - lens[k] / 3);
        CHECK_INT(oe_crypto_hkdf_extract_salt(a, &s, ikm), 0);
        CHECK_INT(oe_crypto_hkdf_extract(b, OE_SLICE(salt, lens[k]), &ikm, 1), 0);
        CHECK_MEM(a, 32, b, 32);
        oe_crypto_salt_wipe(&s);
    }
}

TEST(crypto_random_reseeds_after_fork)
{
    uint8_t parent[32], child[32];
    int fds[2];
    pid_t pid;
    int status;

    CHECK_INT(oe_crypto_random(NULL, parent, 1), 0); /* seed this thread's DRBG */
    CHECK_INT(pipe(fds), 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        uint8_t b[32];
        if (oe_crypto_random(NULL, b, sizeof(b)) != 0 || write(fds[1], b, 32) != 32)
            _exit(1);
        _exit(0);
    }
    CHECK_INT(oe_crypto_random(NULL, parent, sizeof(parent)), 0);
    CHECK_INT(read(fds[0], child, sizeof(child)), 32);
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(memcmp(parent, child, 32) != 0);
    close(fds[0]);
    close(fds[1]);
}

static const char fox[] = "The quick brown fox jumps over the lazy dog.";

/* Key 00 01 .. , nonce 64 65 .. 6f, aad "odoh-edge aad" (python3-cryptography 38). */
TEST(crypto_aead_known_answers_and_tamper)
{
    static const struct {
        uint16_t alg;
        const char *ct;
    } v[] = {
        {OE_CRYPTO_AES128GCM, "4e0a2b85aa77d199f01e3562e9bd45cc56e700dff8dcb02a874fdee1d980d787d29"
                              "97248ea625eb1ee374068732923a12271020bb6bdbe0cba0c33d4"},
        {OE_CRYPTO_AES256GCM, "1c73bb46089c3ffd55423d9ab51204dd24ad7e2ae1199e02d4f1c33e9ed1853cfc8"
                              "c60ac2d68e224999c1f115b98b5ef33d83087db62cf9f3ede46f0"},
        {OE_CRYPTO_CHACHA20POLY1305,
         "6079deeae9d01f3190fe770d9dfeb6b316a9ea14f52586ddb51f99c49f40"
         "ec87a2dc928cce403353fb80adc3c9396437942251eca2d2a7456577c733"},
    };
    uint8_t key[32], nonce[12], ct[128], pt[128];
    oe_slice_t aad = OE_SLICE_STR("odoh-edge aad"), msg = OE_SLICE(fox, sizeof(fox) - 1);
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 12; i++)
        nonce[i] = (uint8_t)(100 + i);
    for (size_t k = 0; k < OE_ARRAY_SIZE(v); k++) {
        int n = oe_crypto_aead_seal(v[k].alg, key, nonce, ct, sizeof(ct), aad, msg);
        CHECK_INT(n, msg.len + 16);
        CHECK_HEX(ct, (size_t)n, v[k].ct);
        CHECK_INT(oe_crypto_aead_open(v[k].alg, key, nonce, pt, sizeof(pt), aad, OE_SLICE(ct, n)),
                  msg.len);
        CHECK_MEM(pt, msg.len, msg.base, msg.len);
        ct[n - 1] ^= 1;
        CHECK_INT(oe_crypto_aead_open(v[k].alg, key, nonce, pt, sizeof(pt), aad, OE_SLICE(ct, n)),
                  OE_EAUTH);
        CHECK(pt[0] == 0 && pt[msg.len - 1] == 0); /* zeroed on failure */
        CHECK_INT(oe_crypto_aead_seal(v[k].alg, key, nonce, ct, msg.len + 15, aad, msg), OE_ESPACE);
        CHECK_INT(oe_crypto_aead_open(v[k].alg, key, nonce, pt, sizeof(pt), aad, OE_SLICE(ct, 15)),
                  OE_ETRUNC);
    }
    CHECK_INT(oe_crypto_aead_nk(0x0004), OE_EUNSUPPORTED);
    CHECK_INT(oe_crypto_aead_seal(0xFFFF, key, nonce, ct, sizeof(ct), aad, msg), OE_EUNSUPPORTED);
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample". Deterministic signing gives exactly r | s. */
TEST(crypto_ecdsa_p256_rfc6979_vector)
{
    oe_crypto_p256_key_t k;
    uint8_t sig[64];
    size_t dl;
    uint8_t *d =
        oe_test_unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", &dl);
    CHECK_INT(oe_crypto_p256_from_private(&k, d, dl), 0);
    free(d);
    CHECK_HEX(k.pub, 65,
              "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
              "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    CHECK_INT(oe_crypto_p256_sign(&k, (const uint8_t *)"sample", 6, sig), 0);
    CHECK_HEX(sig, 64,
              "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
              "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    CHECK_INT(oe_crypto_p256_verify(k.pub, (const uint8_t *)"sample", 6, sig), 0);
    CHECK_INT(oe_crypto_p256_verify(k.pub, (const uint8_t *)"samplE", 6, sig), OE_EAUTH);
    oe_crypto_p256_key_wipe(&k);
}

/* A key OpenSSL 3.0 generated (ecparam -name prime256v1) and its signature of the message below
 * (dgst -sha256 -sign, random k, DER taken apart into r | s). Our verify accepts OpenSSL's
 * signature; OpenSSL verified ours of the same message when this test was written. */
TEST(crypto_ecdsa_p256_interoperates_with_openssl)
{
    static const char msg[] = "odoh-edge ES256 vector";
    oe_crypto_p256_key_t k, g;
    uint8_t sig[64], mine[64];
    size_t dl;
    uint8_t *d =
        oe_test_unhex("3c3d15ca4f55d66b34b40b889112e9d3b0c7a1b23e22589eae9dbee44f220543", &dl);
    CHECK_INT(oe_crypto_p256_from_private(&k, d, dl), 0);
    free(d);
    CHECK_HEX(k.pub, 65,
              "04bb5515cdc310300b0078b2cca044c11d856e492133b83992f77a48b98ace43f6"
              "f828524d1e15121af7a8733b3ac6dce258679e456ca46c247c9c1d276b55d0c4");
    size_t sl;
    uint8_t *s = oe_test_unhex("1ad8e5f7411063b9ae2ba0cbee97a390984ce56283c85ff4bee6caab9ac25145"
                               "b6b7db2eb140434964330195416b176607bc2c717d21e9e646c75630a30163d9",
                               &sl);
    CHECK_INT(sl, 64);
    memcpy(sig, s, 64);
    free(s);
    CHECK_INT(oe_crypto_p256_verify(k.pub, (const uint8_t *)msg, sizeof(msg) - 1, sig), 0);
    for (int bit = 0; bit < 64 * 8; bit += 37) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(oe_crypto_p256_verify(k.pub, (const uint8_t *)msg, sizeof(msg) - 1, sig) != 0);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_INT(oe_crypto_p256_sign(&k, (const uint8_t *)msg, sizeof(msg) - 1, mine), 0);
    CHECK_HEX(mine, 64, /* deterministic, RFC 6979; `openssl dgst -verify` said OK */
              "482e489a974673d7776bc3ff2aaf2a438142caa43275faa1ebca4e31a582fc1d"
              "2e4cf904d448ce72a9c01b0a1fec1c6360d4bcf74cf1faa6de812f8fd6ede56b");
    /* A fresh key signs and verifies; a point off the curve is malformed. */
    CHECK_INT(oe_crypto_p256_generate(&g, oe_crypto_random, NULL), 0);
    CHECK_INT(oe_crypto_p256_sign(&g, (const uint8_t *)msg, sizeof(msg) - 1, mine), 0);
    CHECK_INT(oe_crypto_p256_verify(g.pub, (const uint8_t *)msg, sizeof(msg) - 1, mine), 0);
    CHECK_INT(oe_crypto_p256_verify(k.pub, (const uint8_t *)msg, sizeof(msg) - 1, mine), OE_EAUTH);
    g.pub[64] ^= 1;
    CHECK_INT(oe_crypto_p256_verify(g.pub, (const uint8_t *)msg, sizeof(msg) - 1, mine),
              OE_EFORMAT);
    uint8_t zero[32] = {0};
    CHECK_INT(oe_crypto_p256_from_private(&g, zero, 32), OE_EFORMAT);
    CHECK_INT(oe_crypto_p256_from_private(&g, zero, 31), OE_EFORMAT);
    oe_crypto_p256_key_wipe(&k);
    oe_crypto_p256_key_wipe(&g);
}

/* RFC 4648 §10 for both alphabets, then the characters that differ. */
TEST(crypto_base64_rfc4648_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    uint8_t dec[16];
    for (size_t i = 0; i < OE_ARRAY_SIZE(in); i++) {
        size_t n = strlen(in[i]);
        CHECK_INT(oe_base64_encode(out, sizeof(out), (const uint8_t *)in[i], n), strlen(std[i]));
        CHECK_STR(out, std[i]);
        CHECK_INT(oe_base64url_encode(out, sizeof(out), (const uint8_t *)in[i], n), strlen(url[i]));
        CHECK_STR(out, url[i]);
        CHECK_INT(oe_base64_decode(dec, sizeof(dec), std[i], strlen(std[i])), n);
        CHECK_MEM(dec, n, in[i], n);
        CHECK_INT(oe_base64url_decode(dec, sizeof(dec), url[i], strlen(url[i])), n);
        CHECK_MEM(dec, n, in[i], n);
        CHECK_INT(oe_base64url_decode(dec, sizeof(dec), std[i], strlen(std[i])), n); /* padded */
    }
    static const uint8_t hi[] = {0xfb, 0xff, 0xbf};
    CHECK_INT(oe_base64_encode(out, sizeof(out), hi, 3), 4);
    CHECK_STR(out, "+/+/");
    CHECK_INT(oe_base64url_encode(out, sizeof(out), hi, 3), 4);
    CHECK_STR(out, "-_-_");
    CHECK_INT(oe_base64_decode(dec, sizeof(dec), "-_-_", 4), OE_EFORMAT);
    CHECK_INT(oe_base64url_decode(dec, sizeof(dec), "+/+/", 4), OE_EFORMAT);
    CHECK_INT(oe_base64_encode(out, 4, hi, 3), OE_ESPACE); /* no room for the NUL */
    CHECK_INT(oe_base64_decode(dec, 2, "Zm9v", 4), OE_ESPACE);
}

TEST(crypto_base64_rejects_malformed)
{
    static const char *const bad_std[] = {
        "Zg",   "Zg=",  "Z===", "Zm9v=",    "Zm 9v",           "Zm9v\n",
        "Z=g=", "====", "Zm8!", "Zm9vY===", "\x80\x80\x80\x80"};
    static const char *const bad_url[] = {"Z", "Zm9vY", "Zg===", "Zm=v", "Zm9v Yg", "Zm/v"};
    uint8_t dec[16];
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad_std); i++)
        if (oe_base64_decode(dec, sizeof(dec), bad_std[i], strlen(bad_std[i])) != OE_EFORMAT)
            oe_test_fail(__FILE__, __LINE__, "base64 \"%s\" accepted", bad_std[i]);
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad_url); i++)
        if (oe_base64url_decode(dec, sizeof(dec), bad_url[i], strlen(bad_url[i])) != OE_EFORMAT)
            oe_test_fail(__FILE__, __LINE__, "base64url \"%s\" accepted", bad_url[i]);
}

/* Every byte value round-trips through hex and both base64 forms; every non-digit is refused. */
TEST(crypto_hex_and_base64_round_trip_every_byte)
{
    uint8_t all[256], back[256];
    char text[600];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    oe_hex_encode(text, all, 256);
    CHECK(strncmp(text, "000102", 6) == 0 && strcmp(text + 500, "fafbfcfdfeff") == 0);
    CHECK_INT(oe_hex_decode(back, sizeof(back), text, 512), 256);
    CHECK_MEM(back, 256, all, 256);
    CHECK_INT(oe_hex_decode(back, 2, "0aFf", 4), 2);
    CHECK_INT(back[0] << 8 | back[1], 0x0aff);
    for (int c = 0; c < 256; c++) {
        char two[2] = {'0', (char)c};
        bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if ((oe_hex_decode(back, 1, two, 2) == 1) != digit)
            oe_test_fail(__FILE__, __LINE__, "hex digit 0x%02x misjudged", c);
    }
    CHECK_INT(oe_hex_decode(back, 1, "abc", 3), OE_EFORMAT);
    CHECK_INT(oe_hex_decode(back, 1, "abcd", 4), OE_ESPACE);
    for (size_t n = 0; n <= 256; n += 1 + n / 3) {
        CHECK_INT(oe_base64_encode(text, sizeof(text), all + 256 - n, n), OE_BASE64_LEN(n));
        CHECK_INT(oe_base64_decode(back, sizeof(back), text, strlen(text)), n);
        CHECK_MEM(back, n, all + 256 - n, n);
        CHECK_INT(oe_base64url_encode(text, sizeof(text), all + 256 - n, n), OE_BASE64URL_LEN(n));
        CHECK_INT(oe_base64url_decode(back, sizeof(back), text, strlen(text)), n);
        CHECK_MEM(back, n, all + 256 - n, n);
    }
}

TEST(crypto_ct_eq)
{
    CHECK_INT(oe_ct_eq("abcd", "abcd", 4), 1);
    CHECK_INT(oe_ct_eq("abcd", "abce", 4), 0);
    CHECK_INT(oe_ct_eq("\x80", "\x00", 1), 0);
    CHECK_INT(oe_ct_eq("x", "y", 0), 1);
}
