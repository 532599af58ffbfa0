/*
 * X25519 (RFC 7748) of our own for 64-bit targets with 128-bit products: field elements in radix
 * 2^51 (five 64-bit limbs), the RFC's Montgomery ladder with a masked conditional swap, inversion
 * by Fermat (z^(p-2), the usual 254 squarings and 11 multiplications). No branch and no memory
 * index depends on the scalar or the point. Elsewhere (32-bit routers) crypto.c keeps Everest.
 */
#include "crypto/x25519.h"

#include <string.h>

#if defined(OE_X25519_OWN)

typedef unsigned __int128 u128;
typedef uint64_t fe[5];

#define MASK51 ((uint64_t)0x7ffffffffffff)
/* The ladder's field operations are small; inlined, the compiler schedules across them. */
#define FE_INLINE static inline __attribute__((always_inline))

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void fe_frombytes(fe h, const uint8_t s[32])
{
    h[0] = load64(s) & MASK51;
    h[1] = (load64(s + 6) >> 3) & MASK51;
    h[2] = (load64(s + 12) >> 6) & MASK51;
    h[3] = (load64(s + 19) >> 1) & MASK51;
    h[4] = (load64(s + 24) >> 12) & MASK51; /* bit 255 masked (RFC 7748 §5) */
}

static void fe_carry(fe h)
{
    uint64_t c;
    c = h[0] >> 51, h[0] &= MASK51, h[1] += c;
    c = h[1] >> 51, h[1] &= MASK51, h[2] += c;
    c = h[2] >> 51, h[2] &= MASK51, h[3] += c;
    c = h[3] >> 51, h[3] &= MASK51, h[4] += c;
    c = h[4] >> 51, h[4] &= MASK51, h[0] += 19 * c;
}

static void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    memcpy(h, f, sizeof(h));
    fe_carry(h);
    fe_carry(h);
    /* h < 2^255 + small; q = 1 when h >= p = 2^255 - 19, found by adding 19 and carrying. */
    uint64_t q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    h[0] += 19 * q;
    h[1] += h[0] >> 51, h[0] &= MASK51;
    h[2] += h[1] >> 51, h[1] &= MASK51;
    h[3] += h[2] >> 51, h[2] &= MASK51;
    h[4] += h[3] >> 51, h[3] &= MASK51;
    h[4] &= MASK51; /* drops 2^255 */
    uint64_t w[4] = {h[0] | h[1] << 51, h[1] >> 13 | h[2] << 38, h[2] >> 26 | h[3] << 25,
                     h[3] >> 39 | h[4] << 12};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

FE_INLINE void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/* h = f - g + 4p, not carried: in the ladder g is always a product (limbs below 2^52), so
 * nothing underflows, and the result (limbs below 2^54) only feeds products, whose 128-bit sums
 * stay below 2^115. */
FE_INLINE void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0x1fffffffffffb4 - g[0];
    for (int i = 1; i < 5; i++)
        h[i] = f[i] + 0x1ffffffffffffc - g[i];
}

FE_INLINE void fe_reduce(fe h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
    uint64_t c;
    r1 += (uint64_t)(r0 >> 51);
    h[0] = (uint64_t)r0 & MASK51;
    r2 += (uint64_t)(r1 >> 51);
    h[1] = (uint64_t)r1 & MASK51;
    r3 += (uint64_t)(r2 >> 51);
    h[2] = (uint64_t)r2 & MASK51;
    r4 += (uint64_t)(r3 >> 51);
    h[3] = (uint64_t)r3 & MASK51;
    c = (uint64_t)(r4 >> 51);
    h[4] = (uint64_t)r4 & MASK51;
    h[0] += c * 19;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
}

FE_INLINE void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t g1 = 19 * g[1], g2 = 19 * g[2], g3 = 19 * g[3], g4 = 19 * g[4];
    u128 r0 =
        (u128)f[0] * g[0] + (u128)f[1] * g4 + (u128)f[2] * g3 + (u128)f[3] * g2 + (u128)f[4] * g1;
    u128 r1 =
        (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4 + (u128)f[3] * g3 + (u128)f[4] * g2;
    u128 r2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] + (u128)f[3] * g4 +
              (u128)f[4] * g3;
    u128 r3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] + (u128)f[3] * g[0] +
              (u128)f[4] * g4;
    u128 r4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] + (u128)f[3] * g[1] +
              (u128)f[4] * g[0];
    fe_reduce(h, r0, r1, r2, r3, r4);
}

FE_INLINE void fe_sq(fe h, const fe f)
{
    uint64_t f0_2 = 2 * f[0], f1_2 = 2 * f[1], f1_38 = 38 * f[1], f2_38 = 38 * f[2],
             f3_38 = 38 * f[3], f3_19 = 19 * f[3], f4_19 = 19 * f[4];
    u128 r0 = (u128)f[0] * f[0] + (u128)f1_38 * f[4] + (u128)f2_38 * f[3];
    u128 r1 = (u128)f0_2 * f[1] + (u128)f2_38 * f[4] + (u128)f3_19 * f[3];
    u128 r2 = (u128)f0_2 * f[2] + (u128)f[1] * f[1] + (u128)f3_38 * f[4];
    u128 r3 = (u128)f0_2 * f[3] + (u128)f1_2 * f[2] + (u128)f4_19 * f[4];
    u128 r4 = (u128)f0_2 * f[4] + (u128)f1_2 * f[3] + (u128)f[2] * f[2];
    fe_reduce(h, r0, r1, r2, r3, r4);
}

static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

FE_INLINE void fe_mul_small(fe h, const fe f, uint64_t c)
{
    fe_reduce(h, (u128)f[0] * c, (u128)f[1] * c, (u128)f[2] * c, (u128)f[3] * c, (u128)f[4] * c);
}

/* z^(p-2) = z^(2^255 - 21) */
static void fe_invert(fe out, const fe z)
{
    fe t0, t1, t2, t3;
    fe_sq(t0, z);        /* 2 */
    fe_sqn(t1, t0, 2);   /* 8 */
    fe_mul(t1, z, t1);   /* 9 */
    fe_mul(t0, t0, t1);  /* 11 */
    fe_sq(t2, t0);       /* 22 */
    fe_mul(t1, t1, t2);  /* 2^5 - 1 */
    fe_sqn(t2, t1, 5);   /* 2^10 - 2^5 */
    fe_mul(t1, t2, t1);  /* 2^10 - 1 */
    fe_sqn(t2, t1, 10);  /* 2^20 - 2^10 */
    fe_mul(t2, t2, t1);  /* 2^20 - 1 */
    fe_sqn(t3, t2, 20);  /* 2^40 - 2^20 */
    fe_mul(t2, t3, t2);  /* 2^40 - 1 */
    fe_sqn(t2, t2, 10);  /* 2^50 - 2^10 */
    fe_mul(t1, t2, t1);  /* 2^50 - 1 */
    fe_sqn(t2, t1, 50);  /* 2^100 - 2^50 */
    fe_mul(t2, t2, t1);  /* 2^100 - 1 */
    fe_sqn(t3, t2, 100); /* 2^200 - 2^100 */
    fe_mul(t2, t3, t2);  /* 2^200 - 1 */
    fe_sqn(t2, t2, 50);  /* 2^250 - 2^50 */
    fe_mul(t1, t2, t1);  /* 2^250 - 1 */
    fe_sqn(t1, t1, 5);   /* 2^255 - 2^5 */
    fe_mul(out, t1, t0); /* 2^255 - 21 */
}

FE_INLINE void fe_cswap(fe a, fe b, uint64_t swap)
{
    uint64_t m = (uint64_t)0 - swap;
    for (int i = 0; i < 5; i++) {
        uint64_t x = m & (a[i] ^ b[i]);
        a[i] ^= x;
        b[i] ^= x;
    }
}

void oe_x25519_own(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    uint8_t k[32];
    fe x1, x2 = {1}, z2 = {0}, x3, z3 = {1}, a, aa, b, bb, e, c, d, da, cb;
    uint64_t swap = 0;
    memcpy(k, sk, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    fe_frombytes(x1, pk);
    memcpy(x3, x1, sizeof(fe));
    for (int t = 254; t >= 0; t--) {
        uint64_t bit = (k[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;
        fe_add(a, x2, z2);
        fe_sq(aa, a);
        fe_sub(b, x2, z2);
        fe_sq(bb, b);
        fe_sub(e, aa, bb);
        fe_add(c, x3, z3);
        fe_sub(d, x3, z3);
        fe_mul(da, d, a);
        fe_mul(cb, c, b);
        fe_add(x3, da, cb);
        fe_sq(x3, x3);
        fe_sub(z3, da, cb);
        fe_sq(z3, z3);
        fe_mul(z3, x1, z3);
        fe_mul(x2, aa, bb);
        fe_mul_small(z2, e, 121665);
        fe_add(z2, aa, z2);
        fe_mul(z2, e, z2);
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(out, x2);
    memset(k, 0, sizeof(k));
    __asm__ __volatile__("" : : "r"(k) : "memory"); /* the wipe is not optimized away */
}

#endif
