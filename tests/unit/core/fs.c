/* core/fs: the one atomic writer and the strict secret readers. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "unit/test.h"

static const char *path_in(const char *name)
{
    static char p[4096];
    snprintf(p, sizeof(p), "%s/%s", oe_test_tmpdir(), name);
    return p;
}

static int entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        n += de->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

TEST(fs_write_atomic_sets_exact_mode_and_leaves_no_temp)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", path_in("a.key"));
    umask(077); /* the mode is exact even under a narrow umask (a zone file must stay 0644) */
    CHECK_INT(oe_file_write_atomic(p, "first", 5, 0644), 0);
    CHECK_INT(mode_of(p), 0644);
    CHECK_INT(oe_file_write_atomic(p, "second\n", 7, 0600), 0);
    CHECK_INT(mode_of(p), 0600);
    size_t len;
    char *text = oe_test_read_file(p, &len);
    CHECK_MEM(text, len, "second\n", 7);
    free(text);
    CHECK_INT(entries(oe_test_tmpdir()), 1);
    /* A folder that does not exist: an error, and nothing is created. */
    CHECK_INT(oe_file_write_atomic(path_in("none/a.key"), "x", 1, 0600), -ENOENT);
    CHECK_INT(entries(oe_test_tmpdir()), 1);
}

TEST(fs_stale_temp_names)
{
    CHECK(oe_file_is_stale_temp("0123456789abcdef.key.tmp", ".key"));
    CHECK(oe_file_is_stale_temp("0123456789abcdef.key.Ab12Cd.tmp", ".key"));
    CHECK(!oe_file_is_stale_temp("0123456789abcdef.key", ".key"));
    CHECK(!oe_file_is_stale_temp("zone.tmp", ".key"));
    CHECK(!oe_file_is_stale_temp("a.key.Ab12C.tmp", ".key")); /* not six characters */
    CHECK(!oe_file_is_stale_temp(".tmp", ".key"));
}

/* Regression (72-keys-rotation failed now and then): the server's check deleted the temporary
 * file that `keys rotate`, in another process, was about to rename. A temporary file with the pid
 * of another live process is in progress; one with a dead pid, or ours, is a leftover. */
TEST(fs_temp_of_a_live_writer_is_not_stale)
{
    char name[96];
    snprintf(name, sizeof(name), "0123456789abcdef.key.Ab12Cd.%ld.tmp", (long)getppid());
    CHECK(!oe_file_is_stale_temp(name, ".key"));
    snprintf(name, sizeof(name), "0123456789abcdef.key.Ab12Cd.%ld.tmp", (long)getpid());
    CHECK(oe_file_is_stale_temp(name, ".key"));
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    CHECK(child > 0);
    CHECK_INT(waitpid(child, NULL, 0), child);
    snprintf(name, sizeof(name), "0123456789abcdef.key.Ab12Cd.%ld.tmp", (long)child);
    CHECK(oe_file_is_stale_temp(name, ".key"));
    /* What oe_file_write_atomic names its temporary file: ours while we write it. */
    CHECK_INT(oe_file_write_atomic(oe_test_write_file("w.key", "x"), "y", 1, 0600), 0);
}

TEST(fs_read_secret_checks_mode_before_reading)
{
    uint8_t buf[8];
    const char *p = oe_test_write_file("s", "abcdef");
    CHECK_INT(chmod(p, 0640), 0);
    CHECK_INT(oe_file_read_secret(p, buf, sizeof(buf)), -EPERM);
    CHECK_INT(chmod(p, 0600), 0);
    CHECK_INT(oe_file_read_secret(p, buf, sizeof(buf)), 6);
    CHECK_MEM(buf, 6, "abcdef", 6);
    CHECK_INT(oe_file_read_secret(p, buf, 6), 6);
    CHECK_INT(oe_file_read_secret(p, buf, 5), OE_ESPACE);
    CHECK_INT(buf[0], 0); /* wiped */
    CHECK_INT(oe_file_read_secret(path_in("missing"), buf, sizeof(buf)), -ENOENT);
}

TEST(fs_key_line_is_exact)
{
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"0123456789abcdef", 0},
        {"0123456789abcdef\n", 0},
        {"0123456789abcdef\r\n", 0},
        {"0123456789abcde", OE_EFORMAT},
        {"0123456789abcdef0", OE_EFORMAT},
        {"0123456789abcdef ", OE_EFORMAT},
        {"0123456789abcdef\n\n", OE_EFORMAT},
        {"0123456789abcde\n", OE_EFORMAT},
        {"0123456789abcdef\nx", OE_EFORMAT},
        {"01234567 9abcdef", OE_EFORMAT},
        {"", OE_EFORMAT},
    };
    char out[16 + 2];
    for (size_t i = 0; i < OE_ARRAY_SIZE(cases); i++) {
        const char *p = oe_test_write_file("k", cases[i].text);
        CHECK_INT(chmod(p, 0600), 0);
        int rc = oe_file_read_key_line(p, out, 16);
        if (rc != cases[i].rc)
            oe_test_fail(__FILE__, __LINE__, "case %zu: %d, want %d", i, rc, cases[i].rc);
        if (rc == 0)
            CHECK_STR(out, "0123456789abcdef");
    }
}

TEST(fs_read_all_appends_the_whole_file)
{
    const char *p = path_in("big.bin");
    size_t n = 10000; /* more than one 4 KiB chunk */
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 7);
    CHECK_INT(oe_file_write_atomic(p, data, n, 0644), 0);
    oe_buf_t b = {0};
    oe_buf_append(&b, "x", 1);
    CHECK(oe_file_read_all(p, &b));
    CHECK_INT(b.len, n + 1);
    CHECK_MEM(b.base + 1, n, data, n);
    oe_buf_free(&b);
    CHECK(!oe_file_read_all(path_in("absent.bin"), &b));
    CHECK_INT(b.len, 0);
    unlink(p);
    free(data);
}
