/* Atomic writes and strict secret reads (see fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"

#define TEMP_SUFFIX ".tmp"

int oe_file_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) != 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? oe_strdup(".")
                : slash == path ? oe_strdup("/")
                                : oe_strndup(path, (size_t)(slash - path));
    int rc = oe_file_sync_dir(dir);
    free(dir);
    return rc;
}

int oe_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    /* The writer's pid in the name tells another process's loader (the server's check, `keys
     * rotate`) that the file is being written, not left over by a crash. */
    char pid[24];
    snprintf(pid, sizeof(pid), ".%ld" TEMP_SUFFIX, (long)getpid());
    char *tmp = oe_asprintf("%s.XXXXXX%s", path, pid);
    const uint8_t *p = data;
    int rc = 0;
    /* mkstemps: O_CREAT | O_EXCL, mode 0600, so a secret is never readable by others even for a
     * moment; the final mode is set before any byte is written. */
    int fd = mkstemps(tmp, (int)strlen(pid));
    if (fd < 0) {
        rc = -errno;
        free(tmp);
        return rc;
    }
    if (fchmod(fd, (mode_t)mode) != 0)
        rc = -errno;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? -errno : -EIO;
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    else
        rc = fsync_parent(path);
    free(tmp);
    return rc;
}

/* Does name[0, n) end in SUFFIX ".XXXXXX"? */
static bool ends_in_temp(const char *name, size_t n, const char *suffix)
{
    size_t s = strlen(suffix);
    return n >= s + 7 && name[n - 7] == '.' && memcmp(name + n - 7 - s, suffix, s) == 0;
}

bool oe_file_is_stale_temp(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix), t = strlen(TEMP_SUFFIX);
    if (n < s + t || strcmp(name + n - t, TEMP_SUFFIX) != 0)
        return false;
    n -= t;
    /* NAME SUFFIX .XXXXXX .PID: in progress while that process (another than us) lives. */
    size_t d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d < n && n - d <= 10 && d > 0 && name[d - 1] == '.' && ends_in_temp(name, d - 1, suffix)) {
        long pid = strtol(name + d, NULL, 10);
        return pid == (long)getpid() || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
    }
    /* NAME SUFFIX .XXXXXX, and the fixed NAME SUFFIX that earlier versions wrote. */
    return ends_in_temp(name, n, suffix) || (n >= s && memcmp(name + n - s, suffix, s) == 0);
}

bool oe_file_read_all(const char *path, oe_buf_t *b)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        oe_buf_append(b, chunk, n);
    fclose(f);
    return true;
}

int oe_file_read_secret(const char *path, uint8_t *out, size_t cap)
{
    struct stat st;
    int rc = 0;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    /* The mode is checked before a byte of the secret is read. */
    if (fstat(fd, &st) != 0)
        rc = -errno;
    else if (st.st_mode & 077)
        rc = -EPERM;
    while (rc == 0) {
        uint8_t extra;
        ssize_t r = got < cap ? read(fd, out + got, cap - got) : read(fd, &extra, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        else if (r == 0)
            break;
        else if (got == cap)
            rc = OE_ESPACE;
        else
            got += (size_t)r;
    }
    close(fd);
    if (rc != 0) {
        oe_wipe(out, cap);
        return rc;
    }
    return (int)got;
}

int oe_file_read_key_line(const char *path, char *out, size_t len)
{
    int n = oe_file_read_secret(path, (uint8_t *)out, len + 2);
    if (n < 0) {
        /* A file longer than the line and its "\r\n" is malformed, not a reading error. */
        return n == OE_ESPACE ? OE_EFORMAT : n;
    }
    size_t got = (size_t)n;
    if (got == len + 2 && out[len] == '\r' && out[len + 1] == '\n')
        got = len;
    else if (got == len + 1 && out[len] == '\n')
        got = len;
    bool ok = got == len;
    for (size_t i = 0; ok && i < len; i++)
        ok = out[i] > ' ' && out[i] < 0x7f;
    if (!ok) {
        oe_wipe(out, len + 2);
        return OE_EFORMAT;
    }
    out[len] = '\0';
    return 0;
}
