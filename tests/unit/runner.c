/*
 * Unit-test runner: runs every test in the generated table in its own child process with a
 * timeout, prints TAP, and ends with the line "N passed, N failed". Arguments filter tests by
 * substring; OE_TEST_TIMEOUT sets the per-test timeout in seconds (default 60).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit/test.h"

#define OE_TEST_ENTRY(name) void oe_test_##name(void);
#include "unit_table.h"
#undef OE_TEST_ENTRY

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
#define OE_TEST_ENTRY(name) {#name, oe_test_##name},
#include "unit_table.h"
#undef OE_TEST_ENTRY
};

static char tmpdir[256];

void oe_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    _exit(1);
}

static void hexdump(const char *label, const void *p, size_t len)
{
    const unsigned char *b = p;
    fprintf(stdout, "#   %s (%zu bytes): ", label, len);
    for (size_t i = 0; i < len && i < 96; i++)
        fprintf(stdout, "%02x", b[i]);
    fprintf(stdout, "%s\n", len > 96 ? "..." : "");
}

void oe_test_fail_mem(const char *file, int line, const char *what, const void *got, size_t got_len,
                      const void *want, size_t want_len)
{
    size_t i = 0;
    while (i < got_len && i < want_len && ((const char *)got)[i] == ((const char *)want)[i])
        i++;
    fprintf(stdout, "# %s:%d: %s differs at byte %zu\n", file, line, what, i);
    hexdump("got ", got, got_len);
    hexdump("want", want, want_len);
    fflush(stdout);
    _exit(1);
}

const char *oe_test_vector_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("OE_VECTORS");
    if (dir != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
    }
    /* The runner runs from the repository root; the project keeps its own copy of the vectors. */
    snprintf(path, sizeof(path), "tests/vectors/%s", name);
    return path;
}

const char *oe_test_tmpdir(void)
{
    return tmpdir;
}

char *oe_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        oe_test_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (buf == NULL)
        oe_test_fail(__FILE__, __LINE__, "out of memory reading %s", path);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

const char *oe_test_write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        oe_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    return path;
}

uint8_t *oe_test_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        oe_test_fail(__FILE__, __LINE__, "odd-length hex string");
    uint8_t *out = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            oe_test_fail(__FILE__, __LINE__, "bad hex at %zu", 2 * i);
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return out;
}

void oe_test_unhex_into(uint8_t *out, size_t len, const char *hex)
{
    size_t n;
    uint8_t *b = oe_test_unhex(hex, &n);
    CHECK_INT(n, len);
    memcpy(out, b, n < len ? n : len);
    free(b);
}

void oe_test_check_hex(const char *file, int line, const uint8_t *got, size_t len, const char *hex)
{
    size_t wl;
    uint8_t *want = oe_test_unhex(hex, &wl);
    if (wl != len || memcmp(got, want, len) != 0)
        oe_test_fail_mem(file, line, "bytes", got, len, want, wl);
    free(want);
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                rm_rf(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    chmod(path, 0700);
    rmdir(path);
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i]) != NULL)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *t = getenv("OE_TEST_TIMEOUT");
    unsigned timeout = t != NULL ? (unsigned)atoi(t) : 60;
    size_t n = sizeof(tests) / sizeof(tests[0]);
    size_t run = 0, passed = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++)
        run += selected(tests[i].name, argc, argv);
    printf("1..%zu\n", run);

    size_t num = 0;
    for (size_t i = 0; i < n; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        num++;
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/oe-unit-XXXXXX");
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 2;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(timeout);
            tests[i].fn();
            fflush(stdout);
            _exit(0);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        rm_rf(tmpdir);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            passed++;
            printf("ok %zu - %s (%.0f ms)\n", num, tests[i].name, ms);
        } else {
            failed++;
            if (WIFSIGNALED(status))
                printf("# %s: killed by signal %d%s\n", tests[i].name, WTERMSIG(status),
                       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
            printf("not ok %zu - %s\n", num, tests[i].name);
        }
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
