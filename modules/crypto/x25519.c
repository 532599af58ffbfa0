/*
 * X25519 (RFC 7748) of our own for 64-bit targets with 128-bit products: field elements in radix
 * 2^51 (five 64-bit limbs), the RFC's Montgomery ladder with a masked conditional swap, inversion
 * by Fermat (z^(p-2), the usual 254 squarings and 11 multiplications). No branch and no memory
 * index depends on the scalar or the point. Elsewhere (32-bit routers) crypto.c keeps Everest.
 *
 * Public keys (the scalar times the base point u = 9, one of the two X25519 operations of every
 * TLS 1.3 handshake) take a fixed-base path: on the twisted Edwards curve birationally equivalent
 * to Curve25519 (RFC 7748 §4.1), the scalar in 64 signed radix-16 digits, each digit's multiple
 * of 16^i B read from a table of 32 x 8 affine points (built once per process from B), added in
 * extended coordinates; u = (1 + y) / (1 - y) at the end. About a third of a ladder. Every table
 * row is read whole and the entry kept by masks, so the scalar picks no address.
 */
#include "crypto/x25519.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* ---- fixed base: X25519(k, 9) on the Edwards curve ---------------------------------------- */

/* The sums and differences below are carried before they feed a product: the ladder's bounds
 * (see fe_sub) are not re-proved for these formulas. */
static void fe_add_c(fe h, const fe f, const fe g)
{
    fe_add(h, f, g);
    fe_carry(h);
}

static void fe_sub_c(fe h, const fe f, const fe g)
{
    fe_sub(h, f, g);
    fe_carry(h);
}

/* Extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z. */
typedef struct {
    fe X, Y, Z, T;
} ge_p3;

/* An affine point as y + x, y - x and 2d*x*y: what a mixed addition needs. */
typedef struct {
    fe ypx, ymx, xy2d;
} ge_niels;

static ge_niels base_table[32][8]; /* [i][j] = (j + 1) * 256^i * B */
static fe ed_d2;                   /* 2d, d = -121665/121666 */
static bool base_ready;            /* the table is built (not without memory for its scratch) */
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

/* The common last step of the formulas below: (X : Y : Z : T) = (EF : GH : FG : EH). */
static void ge_finish(ge_p3 *r, const fe e, const fe f, const fe g, const fe h)
{
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* p + q, both in extended coordinates (Hisil, Wong, Carter, Dawson 2008, a = -1): the table's
 * construction only (public points). */
static void ge_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q)
{
    fe a, b, c, d, e, f, g, h, t;
    fe_sub_c(a, p->Y, p->X);
    fe_sub_c(t, q->Y, q->X);
    fe_mul(a, a, t);
    fe_add_c(b, p->Y, p->X);
    fe_add_c(t, q->Y, q->X);
    fe_mul(b, b, t);
    fe_mul(c, p->T, q->T);
    fe_mul(c, c, ed_d2);
    fe_mul(d, p->Z, q->Z);
    fe_add_c(d, d, d);
    fe_sub_c(e, b, a);
    fe_sub_c(f, d, c);
    fe_add_c(g, d, c);
    fe_add_c(h, b, a);
    ge_finish(r, e, f, g, h);
}

/* 2p (same paper, "dbl-2008-hwcd", a = -1). */
static void ge_dbl(ge_p3 *r, const ge_p3 *p)
{
    fe a, b, c, e, f, g, h, t;
    fe_sq(a, p->X);
    fe_sq(b, p->Y);
    fe_sq(c, p->Z);
    fe_add_c(c, c, c);
    fe_add_c(t, p->X, p->Y);
    fe_sq(e, t);
    fe_sub_c(e, e, a);
    fe_sub_c(e, e, b); /* 2xy */
    fe_sub_c(g, b, a); /* -a*x^2 + y^2 with a = -1 */
    fe_sub_c(f, g, c);
    fe_add_c(h, a, b);
    fe_sub_c(h, (fe){0}, h); /* a*x^2 - y^2 */
    ge_finish(r, e, f, g, h);
}

/* p + q with q affine (Z = 1): the per-digit step. */
static void ge_madd(ge_p3 *r, const ge_p3 *p, const ge_niels *q)
{
    fe a, b, c, d, e, f, g, h;
    fe_sub_c(a, p->Y, p->X);
    fe_mul(a, a, q->ymx);
    fe_add_c(b, p->Y, p->X);
    fe_mul(b, b, q->ypx);
    fe_mul(c, p->T, q->xy2d);
    fe_add_c(d, p->Z, p->Z);
    fe_sub_c(e, b, a);
    fe_sub_c(f, d, c);
    fe_add_c(g, d, c);
    fe_add_c(h, b, a);
    ge_finish(r, e, f, g, h);
}

static void base_table_init(void)
{
    /* B = (x, 4/5) with x even (RFC 8032 §5.1), little-endian. */
    static const uint8_t bx[32] = {0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
                                   0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
                                   0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
    struct scratch {
        ge_p3 pts[32][8];
        fe zinv[32 * 8], prefix[32 * 8];
    } *w = malloc(sizeof(*w));
    fe t, u;

    if (w == NULL)
        return; /* base_ready stays false: the ladder serves */
    ge_p3(*pts)[8] = w->pts;
    fe *zinv = w->zinv, *prefix = w->prefix;

    /* d = -121665 / 121666 */
    fe_invert(t, (fe){121666});
    fe_mul_small(t, t, 121665);
    fe_sub_c(u, (fe){0}, t);
    fe_add_c(ed_d2, u, u);

    ge_p3 b;
    fe_frombytes(b.X, bx);
    fe_invert(t, (fe){5});
    fe_mul_small(b.Y, t, 4);
    memcpy(b.Z, (fe){1}, sizeof(fe));
    fe_mul(b.T, b.X, b.Y);

    for (int i = 0; i < 32; i++) {
        pts[i][0] = b;
        for (int j = 1; j < 8; j++)
            ge_add(&pts[i][j], &pts[i][j - 1], &b);
        for (int k = 0; k < 8; k++) /* b = 256 * b */
            ge_dbl(&b, &b);
    }
    /* Every Z inverted at once (Montgomery's trick): prefix products, one inversion, back. */
    ge_p3 *all = &pts[0][0];
    memcpy(prefix[0], all[0].Z, sizeof(fe));
    for (int n = 1; n < 256; n++)
        fe_mul(prefix[n], prefix[n - 1], all[n].Z);
    fe_invert(t, prefix[255]);
    for (int n = 255; n > 0; n--) {
        fe_mul(zinv[n], t, prefix[n - 1]);
        fe_mul(t, t, all[n].Z);
    }
    memcpy(zinv[0], t, sizeof(fe));
    for (int n = 0; n < 256; n++) {
        fe x, y;
        ge_niels *q = &base_table[n / 8][n % 8];
        fe_mul(x, all[n].X, zinv[n]);
        fe_mul(y, all[n].Y, zinv[n]);
        fe_add_c(q->ypx, y, x);
        fe_sub_c(q->ymx, y, x);
        fe_mul(t, x, y);
        fe_mul(q->xy2d, t, ed_d2);
    }
    free(w);
    base_ready = true;
}

FE_INLINE void fe_cmov(fe h, const fe f, uint64_t mask)
{
    for (int i = 0; i < 5; i++)
        h[i] ^= mask & (h[i] ^ f[i]);
}

/* t = digit * 256^i * B for a digit in -8..8, reading all of row i. */
static void select_niels(ge_niels *t, int i, int8_t digit)
{
    uint64_t neg = (uint64_t)(int64_t)digit >> 63; /* 1 when negative */
    uint64_t abs = ((uint64_t)(int64_t)digit ^ ((uint64_t)0 - neg)) + neg;
    fe zero = {0}, nxy;
    memset(t, 0, sizeof(*t));
    t->ypx[0] = 1; /* the neutral point (0, 1): y + x = y - x = 1, 2dxy = 0 */
    t->ymx[0] = 1;
    for (uint64_t j = 1; j <= 8; j++) {
        uint64_t eq = ((abs ^ j) - 1) >> 63; /* 1 when abs == j (both below 2^63) */
        uint64_t m = (uint64_t)0 - eq;
        fe_cmov(t->ypx, base_table[i][j - 1].ypx, m);
        fe_cmov(t->ymx, base_table[i][j - 1].ymx, m);
        fe_cmov(t->xy2d, base_table[i][j - 1].xy2d, m);
    }
    /* -(x, y) = (-x, y): y + x and y - x trade places, 2dxy changes sign. */
    uint64_t m = (uint64_t)0 - neg;
    fe ypx;
    memcpy(ypx, t->ypx, sizeof(fe));
    fe_cmov(t->ypx, t->ymx, m);
    fe_cmov(t->ymx, ypx, m);
    fe_sub_c(nxy, zero, t->xy2d);
    fe_cmov(t->xy2d, nxy, m);
}

void oe_x25519_base_own(uint8_t out[32], const uint8_t sk[32])
{
    uint8_t k[32];
    int8_t e[64];
    ge_p3 h;
    ge_niels t;
    fe num, den;

    pthread_once(&base_once, base_table_init);
    if (!base_ready) {
        static const uint8_t nine[32] = {9};
        oe_x25519_own(out, sk, nine);
        return;
    }
    memcpy(k, sk, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    /* k = sum e[i] 16^i with e[i] in -8..7 (e[63] in 0..8): k < 2^255 leaves the last carry in. */
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (int8_t)(k[i] & 15);
        e[2 * i + 1] = (int8_t)(k[i] >> 4);
    }
    int8_t carry = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - carry * 16);
    }
    e[63] = (int8_t)(e[63] + carry);

    memset(&h, 0, sizeof(h));
    h.Y[0] = 1;
    h.Z[0] = 1;
    for (int i = 1; i < 64; i += 2) { /* odd digits: e[i] 16^i = e[i] 16 256^((i-1)/2) */
        select_niels(&t, i / 2, e[i]);
        ge_madd(&h, &h, &t);
    }
    for (int n = 0; n < 4; n++)
        ge_dbl(&h, &h);
    for (int i = 0; i < 64; i += 2) {
        select_niels(&t, i / 2, e[i]);
        ge_madd(&h, &h, &t);
    }
    /* u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) */
    fe_add_c(num, h.Z, h.Y);
    fe_sub_c(den, h.Z, h.Y);
    fe_invert(den, den);
    fe_mul(num, num, den);
    fe_tobytes(out, num);
    memset(k, 0, sizeof(k));
    memset(e, 0, sizeof(e));
    __asm__ __volatile__("" : : "r"(k), "r"(e) : "memory");
}

#endif
