/*
 * The unit-test harness. A test is a function written as
 *
 *     TEST(config_rejects_unknown_key) { ... CHECK_INT(rc, 78); ... }
 *
 * at the start of a line in tests/unit/MODULE/NAME.c; the Makefile collects every TEST(...) line
 * into one generated table, and the runner forks a child per test with a timeout. A failed check
 * prints where and what, then ends that test (its child) with a failure.
 */
#ifndef OE_TEST_H
#define OE_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TEST(name) void oe_test_##name(void)

void oe_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void oe_test_fail_mem(const char *file, int line, const char *what, const void *got, size_t got_len,
                      const void *want, size_t want_len) __attribute__((noreturn));

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            oe_test_fail(__FILE__, __LINE__, "check failed: %s", #cond);                           \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_)                                                                              \
            oe_test_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #got, g_, w_);               \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ == NULL || strcmp(g_, w_) != 0)                                                     \
            oe_test_fail(__FILE__, __LINE__, "%s is \"%s\", want \"%s\"", #got,                    \
                         g_ ? g_ : "(null)", w_);                                                  \
    } while (0)

#define CHECK_MEM(got, got_len, want, want_len)                                                    \
    do {                                                                                           \
        size_t gl_ = (got_len), wl_ = (want_len);                                                  \
        if (gl_ != wl_ || memcmp((got), (want), gl_) != 0)                                         \
            oe_test_fail_mem(__FILE__, __LINE__, #got, (got), gl_, (want), wl_);                   \
    } while (0)

/* Path of tests/vectors/NAME as seen from the repository root (or $OE_VECTORS/NAME). The result is
 * a static buffer, valid until the next call. */
const char *oe_test_vector_path(const char *name);

/* A fresh temporary directory for this test, removed by the runner afterwards. */
const char *oe_test_tmpdir(void);

/* Reads a whole file into a NUL-terminated heap buffer (aborts the test on failure). */
char *oe_test_read_file(const char *path, size_t *len);

/* Writes text to DIR/NAME and returns the path (static buffer). */
const char *oe_test_write_file(const char *name, const char *text);

/* Decodes hex into a heap buffer; aborts the test on bad hex. */
uint8_t *oe_test_unhex(const char *hex, size_t *len);
/* Decodes hex of exactly len bytes into out; fails the test otherwise. */
void oe_test_unhex_into(uint8_t *out, size_t len, const char *hex);

/* got[0, len) must be the bytes that hex spells. */
void oe_test_check_hex(const char *file, int line, const uint8_t *got, size_t len, const char *hex);
#define CHECK_HEX(got, len, hex) oe_test_check_hex(__FILE__, __LINE__, (got), (len), (hex))

#endif
