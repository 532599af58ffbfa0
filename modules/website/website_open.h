/*
 * Opening files under a document root without ever leaving it, symlinks included.
 */
#ifndef OE_WEBSITE_OPEN_H
#define OE_WEBSITE_OPEN_H

#include <sys/stat.h>

/* Opens rel (a relative path as oe_website_resolve makes it; "" is the root itself) beneath the
 * directory root_fd, read-only, close-on-exec, and fills *st. Symlinks are followed only while
 * they stay beneath the root (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); on a kernel
 * without openat2 it falls back to oe_website_open_fallback with root_path. Only regular files
 * and directories are opened (a FIFO or device under the root is "not found", and opening one
 * never blocks). Returns the fd (the caller owns it) or -errno: -ENOENT, -ENOTDIR, -EXDEV (would
 * leave the root), -ELOOP, -EACCES, ... */
int oe_website_open(int root_fd, const char *root_path, const char *rel, struct stat *st);

/* The same by path arithmetic, for kernels before 5.6: realpath() of root_path/rel must be
 * root_path's realpath or below it. It has a window between the check and the open in which a
 * concurrent rename could swap a component, so openat2 is preferred whenever it exists. */
int oe_website_open_fallback(const char *root_path, const char *rel, struct stat *st);

#endif
