/*
 * AES-GCM behind mbedtls' MBEDTLS_GCM_ALT hook (x86_64 builds; the context is gcm_alt.h beside this
 * file, copied into mbedtls' include folder by vendor/build.sh). mbedtls' own GCM encrypts one
 * block at a time and multiplies GHASH once per block; TLS records of 16 KiB spent 80% of their CPU
 * there. Here, with AES-NI and PCLMULQDQ (checked with CPUID at run time), eight counter blocks are
 * encrypted in flight and eight GHASH products are summed before one reduction (powers H^1..H^8
 * precomputed at setkey). Without those instructions, or for AES-192, the portable path uses
 * mbedtls' AES for blocks and a bitwise, branch-free GHASH.
 *
 * Field elements on the accelerated path are byte-reversed blocks: GHASH's bit order then makes
 * a carry-less product of two elements come out shifted right by one bit, which a left shift of
 * the 256-bit product undoes before the reduction modulo x^128 + x^7 + x^2 + x + 1.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "mbedtls/gcm.h"
#include "mbedtls/platform_util.h"

#if defined(MBEDTLS_GCM_ALT)

#include "mbedtls/constant_time.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define OE_GCM_X86 1
#endif

/* Set by tests: 1, new keys take the portable path; 2, AES-NI without VAES. */
static atomic_int gcm_portable;

void oe_crypto_gcm_set_portable(int on)
{
    atomic_store_explicit(&gcm_portable, on, memory_order_relaxed);
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static void xor16(unsigned char *out, const unsigned char *a, const unsigned char *b)
{
    for (int i = 0; i < 16; i++)
        out[i] = a[i] ^ b[i];
}

static void ctr_inc(unsigned char ctr[16])
{
    for (int i = 15; i >= 12; i--)
        if (++ctr[i] != 0)
            break;
}

/* ---- portable path ----------------------------------------------------------------------- */

/* y = y * H, SP 800-38D algorithm 1, with masks instead of branches. */
static void ghash_mul_portable(const mbedtls_gcm_context *ctx, unsigned char y[16])
{
    uint64_t x[2] = {be64(y), be64(y + 8)};
    uint64_t vh = ctx->h[0], vl = ctx->h[1], zh = 0, zl = 0;
    for (int i = 0; i < 128; i++) {
        uint64_t bit = (x[i >> 6] >> (63 - (i & 63))) & 1;
        uint64_t m = (uint64_t)0 - bit;
        zh ^= vh & m;
        zl ^= vl & m;
        uint64_t carry = (uint64_t)0 - (vl & 1);
        vl = vl >> 1 | vh << 63;
        vh = (vh >> 1) ^ (carry & 0xe100000000000000ULL);
    }
    put_be64(y, zh);
    put_be64(y + 8, zl);
}

static int block_portable(mbedtls_gcm_context *ctx, const unsigned char in[16],
                          unsigned char out[16])
{
    return mbedtls_aes_crypt_ecb(&ctx->aes, MBEDTLS_AES_ENCRYPT, in, out);
}

/* ---- AES-NI + PCLMULQDQ ------------------------------------------------------------------ */

#if defined(OE_GCM_X86)

#define OE_TARGET __attribute__((target("aes,pclmul,sse4.1")))

static int cpu_has_accel(void)
{
    static atomic_int have = -1;
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (h < 0) {
        unsigned a, b, c, d;
        h = 0;
        if (__get_cpuid(1, &a, &b, &c, &d)) {
            /* ECX: PCLMULQDQ bit 1, SSSE3 bit 9, SSE4.1 bit 19, AES bit 25 */
            unsigned need = 1u << 1 | 1u << 9 | 1u << 19 | 1u << 25;
            h = (c & need) == need;
        }
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    return h;
}

/* VAES + VPCLMULQDQ on 256-bit registers (two AES blocks per instruction): CPUID leaf 7 and the
 * OS saving the YMM state (XCR0 bits 1 and 2). */
static int cpu_has_vaes(void)
{
    static atomic_int have = -1;
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (h < 0) {
        unsigned a, b, c, d;
        h = 0;
        if (cpu_has_accel() && __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) != 0 &&
            (c & (1u << 28)) != 0) { /* OSXSAVE, AVX */
            unsigned lo, hi;
            __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            if ((lo & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d))
                /* EBX: AVX2 bit 5; ECX: VAES bit 9, VPCLMULQDQ bit 10 */
                h = (b & (1u << 5)) != 0 && (c & (3u << 9)) == (3u << 9);
        }
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    return h;
}

OE_TARGET static inline __m128i bswap128(__m128i x)
{
    return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* An unreduced 256-bit product sum: lo, hi and the middle (Karatsuba-free, four products). */
typedef struct {
    __m128i lo, mid, hi;
} prod_t;

OE_TARGET static inline void prod_add(prod_t *p, __m128i x, __m128i h)
{
    p->lo = _mm_xor_si128(p->lo, _mm_clmulepi64_si128(x, h, 0x00));
    p->hi = _mm_xor_si128(p->hi, _mm_clmulepi64_si128(x, h, 0x11));
    p->mid = _mm_xor_si128(p->mid, _mm_clmulepi64_si128(x, h, 0x01));
    p->mid = _mm_xor_si128(p->mid, _mm_clmulepi64_si128(x, h, 0x10));
}

OE_TARGET static inline __m128i prod_reduce(const prod_t *p)
{
    __m128i lo = _mm_xor_si128(p->lo, _mm_slli_si128(p->mid, 8));
    __m128i hi = _mm_xor_si128(p->hi, _mm_srli_si128(p->mid, 8));
    /* hi:lo <<= 1 */
    __m128i clo = _mm_srli_epi32(lo, 31), chi = _mm_srli_epi32(hi, 31);
    lo = _mm_slli_epi32(lo, 1);
    hi = _mm_slli_epi32(hi, 1);
    __m128i top = _mm_srli_si128(clo, 12);
    chi = _mm_slli_si128(chi, 4);
    clo = _mm_slli_si128(clo, 4);
    lo = _mm_or_si128(lo, clo);
    hi = _mm_or_si128(_mm_or_si128(hi, chi), top);
    /* Fold the low half into the high one: first the bits that spill past 128 ... */
    __m128i a = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                              _mm_slli_epi32(lo, 25));
    __m128i spill = _mm_srli_si128(a, 4);
    lo = _mm_xor_si128(lo, _mm_slli_si128(a, 12));
    /* ... then the rest. */
    __m128i b = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                              _mm_srli_epi32(lo, 7));
    b = _mm_xor_si128(b, spill);
    lo = _mm_xor_si128(lo, b);
    return _mm_xor_si128(hi, lo);
}

OE_TARGET static __m128i gf_mul(__m128i x, __m128i h)
{
    prod_t p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
    prod_add(&p, x, h);
    return prod_reduce(&p);
}

#define KEXP128(i, rcon)                                                                           \
    do {                                                                                           \
        __m128i t_ = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k[(i)-1], rcon), 0xff);           \
        __m128i u_ = k[(i)-1];                                                                     \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        k[i] = _mm_xor_si128(u_, t_);                                                              \
    } while (0)

/* AES-256: even round keys from the one two back and SubWord(RotWord) of the previous one with
 * rcon; odd ones from SubWord of the previous one without rotation (aeskeygenassist word 2). */
#define KEXP256(i, rcon, sel)                                                                      \
    do {                                                                                           \
        __m128i t_ = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k[(i)-1], rcon), sel);            \
        __m128i u_ = k[(i)-2];                                                                     \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        u_ = _mm_xor_si128(u_, _mm_slli_si128(u_, 4));                                             \
        k[i] = _mm_xor_si128(u_, t_);                                                              \
    } while (0)

OE_TARGET static void setkey_accel(mbedtls_gcm_context *ctx, const unsigned char *key,
                                   unsigned keybits)
{
    __m128i k[15];
    k[0] = _mm_loadu_si128((const __m128i *)key);
    if (keybits == 128) {
        KEXP128(1, 0x01);
        KEXP128(2, 0x02);
        KEXP128(3, 0x04);
        KEXP128(4, 0x08);
        KEXP128(5, 0x10);
        KEXP128(6, 0x20);
        KEXP128(7, 0x40);
        KEXP128(8, 0x80);
        KEXP128(9, 0x1b);
        KEXP128(10, 0x36);
        ctx->rounds = 10;
    } else {
        k[1] = _mm_loadu_si128((const __m128i *)(key + 16));
        KEXP256(2, 0x01, 0xff);
        KEXP256(3, 0x00, 0xaa);
        KEXP256(4, 0x02, 0xff);
        KEXP256(5, 0x00, 0xaa);
        KEXP256(6, 0x04, 0xff);
        KEXP256(7, 0x00, 0xaa);
        KEXP256(8, 0x08, 0xff);
        KEXP256(9, 0x00, 0xaa);
        KEXP256(10, 0x10, 0xff);
        KEXP256(11, 0x00, 0xaa);
        KEXP256(12, 0x20, 0xff);
        KEXP256(13, 0x00, 0xaa);
        KEXP256(14, 0x40, 0xff);
        ctx->rounds = 14;
    }
    for (int i = 0; i <= ctx->rounds; i++)
        _mm_storeu_si128((__m128i *)ctx->rk + i, k[i]);
    /* H = E(K, 0), then its powers. */
    __m128i h = k[0];
    for (int i = 1; i < ctx->rounds; i++)
        h = _mm_aesenc_si128(h, k[i]);
    h = bswap128(_mm_aesenclast_si128(h, k[ctx->rounds]));
    __m128i p = h;
    for (int i = 0; i < 8; i++) {
        _mm_storeu_si128((__m128i *)ctx->hpow[i], p);
        p = gf_mul(p, h);
    }
    mbedtls_platform_zeroize(k, sizeof(k));
}

OE_TARGET static void block_accel(const mbedtls_gcm_context *ctx, const unsigned char in[16],
                                  unsigned char out[16])
{
    const __m128i *rk = (const __m128i *)ctx->rk;
    __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), _mm_loadu_si128(rk));
    for (int i = 1; i < ctx->rounds; i++)
        b = _mm_aesenc_si128(b, _mm_loadu_si128(rk + i));
    _mm_storeu_si128((__m128i *)out, _mm_aesenclast_si128(b, _mm_loadu_si128(rk + ctx->rounds)));
}

/* y = (y ^ x_1) * H^n ^ x_2 * H^(n-1) ^ ... ^ x_n * H for n <= 8 blocks; y byte-reversed. */
OE_TARGET static inline __m128i ghash_n(const mbedtls_gcm_context *ctx, __m128i y, const __m128i *x,
                                        int n)
{
    prod_t p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
    for (int i = 0; i < n; i++) {
        __m128i b = bswap128(x[i]);
        if (i == 0)
            b = _mm_xor_si128(b, y);
        prod_add(&p, b, _mm_loadu_si128((const __m128i *)ctx->hpow[n - 1 - i]));
    }
    return prod_reduce(&p);
}

OE_TARGET static void ghash_accel(const mbedtls_gcm_context *ctx, unsigned char y16[16],
                                  const unsigned char *in, size_t blocks)
{
    __m128i y = bswap128(_mm_loadu_si128((const __m128i *)y16)), x[8];
    while (blocks > 0) {
        int n = blocks >= 8 ? 8 : (int)blocks;
        for (int i = 0; i < n; i++)
            x[i] = _mm_loadu_si128((const __m128i *)in + i);
        y = ghash_n(ctx, y, x, n);
        in += 16 * (size_t)n;
        blocks -= (size_t)n;
    }
    _mm_storeu_si128((__m128i *)y16, bswap128(y));
}

#define OE_TARGET_VAES __attribute__((target("aes,pclmul,sse4.1,avx2,vaes,vpclmulqdq")))

/* Eight counter blocks through AES with VAES, two per 256-bit register: out = in ^ E(ctr..).
 * The GHASH of `pend` (eight blocks, byte order as stored; NULL: none) is interleaved with the
 * rounds, as in crypt_accel; returns the new GHASH state. */
OE_TARGET_VAES static __m128i vaes_batch(const __m128i *rk, int nr, __m128i base, uint32_t c,
                                         const unsigned char *in, unsigned char *out,
                                         const __m128i *pend, __m128i y, const __m128i *h)
{
    __m256i b[4];
    for (int i = 0; i < 4; i++) {
        __m128i lo = _mm_insert_epi32(base, (int)__builtin_bswap32(c + 2 * (uint32_t)i), 3);
        __m128i hi = _mm_insert_epi32(base, (int)__builtin_bswap32(c + 2 * (uint32_t)i + 1), 3);
        b[i] = _mm256_xor_si256(_mm256_set_m128i(hi, lo), _mm256_broadcastsi128_si256(rk[0]));
    }
    prod_t p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
    if (pend != NULL)
        prod_add(&p, _mm_xor_si128(bswap128(pend[0]), y), h[7]);
    for (int r = 1; r < nr; r++) {
        __m256i k = _mm256_broadcastsi128_si256(rk[r]);
        for (int i = 0; i < 4; i++)
            b[i] = _mm256_aesenc_epi128(b[i], k);
        if (pend != NULL && r < 8)
            prod_add(&p, bswap128(pend[r]), h[7 - r]);
    }
    __m256i k = _mm256_broadcastsi128_si256(rk[nr]);
    for (int i = 0; i < 4; i++) {
        b[i] = _mm256_aesenclast_epi128(b[i], k);
        b[i] = _mm256_xor_si256(b[i], _mm256_loadu_si256((const __m256i *)in + i));
        _mm256_storeu_si256((__m256i *)out + i, b[i]);
    }
    return pend != NULL ? prod_reduce(&p) : y;
}

/* CTR over whole blocks and GHASH of the ciphertext, eight blocks per round trip. */
OE_TARGET static void crypt_accel(mbedtls_gcm_context *ctx, const unsigned char *in,
                                  unsigned char *out, size_t blocks)
{
    const __m128i *rkp = (const __m128i *)ctx->rk;
    __m128i rk[15];
    int nr = ctx->rounds;
    for (int i = 0; i <= nr; i++)
        rk[i] = _mm_loadu_si128(rkp + i);
    __m128i y = bswap128(_mm_loadu_si128((const __m128i *)ctx->y));
    __m128i base = _mm_loadu_si128((const __m128i *)ctx->ctr);
    uint32_t c = (uint32_t)ctx->ctr[12] << 24 | (uint32_t)ctx->ctr[13] << 16 |
                 (uint32_t)ctx->ctr[14] << 8 | ctx->ctr[15];
    int enc = ctx->mode == MBEDTLS_GCM_ENCRYPT;
    /* Whole batches of eight: the GHASH of one batch (decryption: this batch's ciphertext;
     * encryption: the previous batch's) is interleaved with the AES rounds of this one, one
     * block's product per round, so that the two units work side by side. */
    __m128i h[8], pend[8];
    int have = 0;
    for (int i = 0; i < 8; i++)
        h[i] = _mm_loadu_si128((const __m128i *)ctx->hpow[i]);
    if (ctx->wide) {
        while (blocks >= 8) {
            if (!enc) {
                for (int i = 0; i < 8; i++)
                    pend[i] = _mm_loadu_si128((const __m128i *)in + i);
                have = 1;
            }
            y = vaes_batch(rk, nr, base, c, in, out, have ? pend : NULL, y, h);
            c += 8;
            if (enc) {
                for (int i = 0; i < 8; i++)
                    pend[i] = _mm_loadu_si128((const __m128i *)out + i);
                have = 1;
            }
            in += 128;
            out += 128;
            blocks -= 8;
        }
    }
    while (blocks >= 8) {
        __m128i b[8];
        for (int i = 0; i < 8; i++) {
            b[i] = _mm_insert_epi32(base, (int)__builtin_bswap32(c + (uint32_t)i), 3);
            b[i] = _mm_xor_si128(b[i], rk[0]);
        }
        c += 8;
        if (!enc) {
            for (int i = 0; i < 8; i++)
                pend[i] = _mm_loadu_si128((const __m128i *)in + i);
            have = 1;
        }
        prod_t p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
        if (have)
            prod_add(&p, _mm_xor_si128(bswap128(pend[0]), y), h[7]);
        for (int r = 1; r < nr; r++) {
            for (int i = 0; i < 8; i++)
                b[i] = _mm_aesenc_si128(b[i], rk[r]);
            if (have && r < 8)
                prod_add(&p, bswap128(pend[r]), h[7 - r]);
        }
        if (have)
            y = prod_reduce(&p);
        for (int i = 0; i < 8; i++) {
            b[i] = _mm_aesenclast_si128(b[i], rk[nr]);
            b[i] = _mm_xor_si128(b[i], _mm_loadu_si128((const __m128i *)in + i));
            _mm_storeu_si128((__m128i *)out + i, b[i]);
        }
        if (enc) {
            for (int i = 0; i < 8; i++)
                pend[i] = b[i];
            have = 1;
        }
        in += 128;
        out += 128;
        blocks -= 8;
    }
    if (enc && have)
        y = ghash_n(ctx, y, pend, 8);
    /* The last one to seven blocks. */
    while (blocks > 0) {
        int n = (int)blocks;
        __m128i b[8], x[8];
        for (int i = 0; i < n; i++) {
            b[i] = _mm_insert_epi32(base, (int)__builtin_bswap32(c + (uint32_t)i), 3);
            b[i] = _mm_xor_si128(b[i], rk[0]);
        }
        c += (uint32_t)n;
        for (int r = 1; r < nr; r++)
            for (int i = 0; i < n; i++)
                b[i] = _mm_aesenc_si128(b[i], rk[r]);
        for (int i = 0; i < n; i++) {
            x[i] = _mm_loadu_si128((const __m128i *)in + i);
            b[i] = _mm_xor_si128(_mm_aesenclast_si128(b[i], rk[nr]), x[i]);
        }
        for (int i = 0; i < n; i++)
            _mm_storeu_si128((__m128i *)out + i, b[i]);
        y = ghash_n(ctx, y, enc ? b : x, n);
        in += 16 * (size_t)n;
        out += 16 * (size_t)n;
        blocks -= (size_t)n;
    }
    _mm_storeu_si128((__m128i *)ctx->y, bswap128(y));
    ctx->ctr[12] = (unsigned char)(c >> 24);
    ctx->ctr[13] = (unsigned char)(c >> 16);
    ctx->ctr[14] = (unsigned char)(c >> 8);
    ctx->ctr[15] = (unsigned char)c;
    mbedtls_platform_zeroize(rk, sizeof(rk));
}

#endif /* OE_GCM_X86 */

/* ---- dispatch ---------------------------------------------------------------------------- */

static int encrypt_block(mbedtls_gcm_context *ctx, const unsigned char in[16],
                         unsigned char out[16])
{
#if defined(OE_GCM_X86)
    if (ctx->rounds != 0) {
        block_accel(ctx, in, out);
        return 0;
    }
#endif
    return block_portable(ctx, in, out);
}

/* GHASH whole blocks into ctx->y. */
static void ghash_blocks(mbedtls_gcm_context *ctx, const unsigned char *in, size_t blocks)
{
#if defined(OE_GCM_X86)
    if (ctx->rounds != 0) {
        ghash_accel(ctx, ctx->y, in, blocks);
        return;
    }
#endif
    for (size_t i = 0; i < blocks; i++) {
        xor16(ctx->y, ctx->y, in + 16 * i);
        ghash_mul_portable(ctx, ctx->y);
    }
}

/* Multiplies the accumulated (XORed-in) state by H: ends a partial block. */
static void ghash_flush(mbedtls_gcm_context *ctx)
{
    static const unsigned char zero[16];
    ghash_blocks(ctx, zero, 1);
}

static int crypt_blocks(mbedtls_gcm_context *ctx, const unsigned char *in, unsigned char *out,
                        size_t blocks)
{
#if defined(OE_GCM_X86)
    if (ctx->rounds != 0) {
        crypt_accel(ctx, in, out, blocks);
        return 0;
    }
#endif
    unsigned char ks[16], ct[16];
    for (size_t i = 0; i < blocks; i++, in += 16, out += 16) {
        int rc = block_portable(ctx, ctx->ctr, ks);
        if (rc != 0)
            return rc;
        ctr_inc(ctx->ctr);
        if (ctx->mode == MBEDTLS_GCM_ENCRYPT) {
            xor16(out, in, ks);
            memcpy(ct, out, 16);
        } else {
            memcpy(ct, in, 16);
            xor16(out, in, ks);
        }
        xor16(ctx->y, ctx->y, ct);
        ghash_mul_portable(ctx, ctx->y);
    }
    mbedtls_platform_zeroize(ks, sizeof(ks));
    return 0;
}

/* ---- the mbedtls API --------------------------------------------------------------------- */

void mbedtls_gcm_init(mbedtls_gcm_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    mbedtls_aes_init(&ctx->aes);
}

void mbedtls_gcm_free(mbedtls_gcm_context *ctx)
{
    if (ctx == NULL)
        return;
    mbedtls_aes_free(&ctx->aes);
    mbedtls_platform_zeroize(ctx, sizeof(*ctx));
}

int mbedtls_gcm_setkey(mbedtls_gcm_context *ctx, mbedtls_cipher_id_t cipher,
                       const unsigned char *key, unsigned int keybits)
{
    if (cipher != MBEDTLS_CIPHER_ID_AES || (keybits != 128 && keybits != 192 && keybits != 256))
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    mbedtls_gcm_free(ctx);
    mbedtls_gcm_init(ctx);
#if defined(OE_GCM_X86)
    int mode = atomic_load_explicit(&gcm_portable, memory_order_relaxed);
    if (keybits != 192 && mode != 1 && cpu_has_accel()) {
        setkey_accel(ctx, key, keybits);
        ctx->wide = mode == 0 && cpu_has_vaes();
        return 0;
    }
#endif
    int rc = mbedtls_aes_setkey_enc(&ctx->aes, key, keybits);
    if (rc != 0)
        return rc;
    unsigned char h[16] = {0};
    if ((rc = block_portable(ctx, h, h)) != 0)
        return rc;
    ctx->h[0] = be64(h);
    ctx->h[1] = be64(h + 8);
    mbedtls_platform_zeroize(h, sizeof(h));
    return 0;
}

int mbedtls_gcm_starts(mbedtls_gcm_context *ctx, int mode, const unsigned char *iv, size_t iv_len)
{
    if (iv_len == 0 || (uint64_t)iv_len >> 61 != 0)
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    ctx->mode = (unsigned char)mode;
    ctx->len = 0;
    ctx->add_len = 0;
    memset(ctx->y, 0, 16);
    unsigned char j0[16];
    if (iv_len == 12) {
        memcpy(j0, iv, 12);
        memset(j0 + 12, 0, 3);
        j0[15] = 1;
    } else {
        /* J0 = GHASH(IV || 0-padding || [0]64 || [len(IV) in bits]64) */
        size_t whole = iv_len / 16, rest = iv_len % 16;
        ghash_blocks(ctx, iv, whole);
        if (rest != 0) {
            unsigned char last[16] = {0};
            memcpy(last, iv + 16 * whole, rest);
            ghash_blocks(ctx, last, 1);
        }
        unsigned char lens[16] = {0};
        put_be64(lens + 8, (uint64_t)iv_len * 8);
        ghash_blocks(ctx, lens, 1);
        memcpy(j0, ctx->y, 16);
        memset(ctx->y, 0, 16);
    }
    int rc = encrypt_block(ctx, j0, ctx->ectr0);
    ctr_inc(j0);
    memcpy(ctx->ctr, j0, 16);
    return rc;
}

int mbedtls_gcm_update_ad(mbedtls_gcm_context *ctx, const unsigned char *add, size_t add_len)
{
    if (ctx->len != 0 || (uint64_t)add_len >> 61 != 0 || (ctx->add_len + add_len) >> 61 != 0)
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    if (add_len == 0)
        return 0;
    size_t fill = (size_t)(ctx->add_len % 16);
    ctx->add_len += add_len;
    if (fill != 0) {
        size_t k = 16 - fill < add_len ? 16 - fill : add_len;
        for (size_t i = 0; i < k; i++)
            ctx->y[fill + i] ^= add[i];
        add += k;
        add_len -= k;
        if (fill + k < 16)
            return 0;
        ghash_flush(ctx);
    }
    ghash_blocks(ctx, add, add_len / 16);
    add += add_len / 16 * 16;
    for (size_t i = 0; i < add_len % 16; i++)
        ctx->y[i] ^= add[i];
    return 0;
}

int mbedtls_gcm_update(mbedtls_gcm_context *ctx, const unsigned char *input, size_t input_length,
                       unsigned char *output, size_t output_size, size_t *output_length)
{
    if (output_size < input_length)
        return MBEDTLS_ERR_GCM_BUFFER_TOO_SMALL;
    *output_length = input_length;
    if (input_length == 0)
        return 0;
    if (output > input && (size_t)(output - input) < input_length)
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    if (ctx->len + input_length < ctx->len || ctx->len + input_length > 0xFFFFFFFE0ull)
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    if (ctx->len == 0 && ctx->add_len % 16 != 0)
        ghash_flush(ctx);
    int enc = ctx->mode == MBEDTLS_GCM_ENCRYPT;
    size_t fill = (size_t)(ctx->len % 16);
    ctx->len += input_length;
    if (fill != 0) {
        size_t k = 16 - fill < input_length ? 16 - fill : input_length;
        for (size_t i = 0; i < k; i++) {
            unsigned char in = input[i], o = in ^ ctx->ks[fill + i];
            ctx->y[fill + i] ^= enc ? o : in;
            output[i] = o;
        }
        input += k;
        output += k;
        input_length -= k;
        if (fill + k < 16)
            return 0;
        ghash_flush(ctx);
    }
    int rc = crypt_blocks(ctx, input, output, input_length / 16);
    if (rc != 0)
        return rc;
    size_t done = input_length / 16 * 16, rest = input_length % 16;
    if (rest != 0) {
        if ((rc = encrypt_block(ctx, ctx->ctr, ctx->ks)) != 0)
            return rc;
        ctr_inc(ctx->ctr);
        for (size_t i = 0; i < rest; i++) {
            unsigned char in = input[done + i], o = in ^ ctx->ks[i];
            ctx->y[i] ^= enc ? o : in;
            output[done + i] = o;
        }
    }
    return 0;
}

int mbedtls_gcm_finish(mbedtls_gcm_context *ctx, unsigned char *output, size_t output_size,
                       size_t *output_length, unsigned char *tag, size_t tag_len)
{
    (void)output;
    (void)output_size;
    *output_length = 0;
    if (tag_len > 16 || tag_len < 4)
        return MBEDTLS_ERR_GCM_BAD_INPUT;
    if ((ctx->len == 0 && ctx->add_len % 16 != 0) || ctx->len % 16 != 0)
        ghash_flush(ctx);
    unsigned char lens[16];
    put_be64(lens, ctx->add_len * 8);
    put_be64(lens + 8, ctx->len * 8);
    ghash_blocks(ctx, lens, 1);
    unsigned char t[16];
    xor16(t, ctx->y, ctx->ectr0);
    memcpy(tag, t, tag_len);
    mbedtls_platform_zeroize(t, sizeof(t));
    mbedtls_platform_zeroize(ctx->ks, sizeof(ctx->ks));
    return 0;
}

int mbedtls_gcm_crypt_and_tag(mbedtls_gcm_context *ctx, int mode, size_t length,
                              const unsigned char *iv, size_t iv_len, const unsigned char *add,
                              size_t add_len, const unsigned char *input, unsigned char *output,
                              size_t tag_len, unsigned char *tag)
{
    size_t olen;
    int rc;
    if ((rc = mbedtls_gcm_starts(ctx, mode, iv, iv_len)) != 0 ||
        (rc = mbedtls_gcm_update_ad(ctx, add, add_len)) != 0 ||
        (rc = mbedtls_gcm_update(ctx, input, length, output, length, &olen)) != 0 ||
        (rc = mbedtls_gcm_finish(ctx, NULL, 0, &olen, tag, tag_len)) != 0)
        return rc;
    return 0;
}

int mbedtls_gcm_auth_decrypt(mbedtls_gcm_context *ctx, size_t length, const unsigned char *iv,
                             size_t iv_len, const unsigned char *add, size_t add_len,
                             const unsigned char *tag, size_t tag_len, const unsigned char *input,
                             unsigned char *output)
{
    unsigned char check[16];
    int rc = mbedtls_gcm_crypt_and_tag(ctx, MBEDTLS_GCM_DECRYPT, length, iv, iv_len, add, add_len,
                                       input, output, tag_len, check);
    if (rc != 0)
        return rc;
    if (mbedtls_ct_memcmp(tag, check, tag_len) != 0) {
        mbedtls_platform_zeroize(output, length);
        return MBEDTLS_ERR_GCM_AUTH_FAILED;
    }
    return 0;
}

const char *oe_crypto_gcm_name(void)
{
#if defined(OE_GCM_X86)
    int mode = atomic_load_explicit(&gcm_portable, memory_order_relaxed);
    if (cpu_has_accel() && mode == 0 && cpu_has_vaes())
        return "vaes+pclmulqdq (odoh-edge)";
    if (cpu_has_accel() && mode != 1)
        return "aes-ni+pclmulqdq (odoh-edge)";
#endif
    return "portable (odoh-edge)";
}

#else /* !MBEDTLS_GCM_ALT: mbedtls' own GCM */

void oe_crypto_gcm_set_portable(int on)
{
    (void)on;
}

const char *oe_crypto_gcm_name(void)
{
    return "mbedtls";
}

#endif
