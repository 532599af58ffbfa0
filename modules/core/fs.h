/*
 * Files that hold secrets or must never be seen half-written: one atomic writer and one strict
 * reader, so every key, seed, certificate and zone file is handled the same way (habit 9).
 * Synchronous; for start-up, the key schedule's timer and the command line, not for requests.
 */
#ifndef OE_CORE_FS_H
#define OE_CORE_FS_H

#include "core/oe.h"

/* Replaces path with data[0..len) atomically: a fresh temporary file beside it
 * (PATH.XXXXXX.tmp, created exclusively, so never an existing file or a link), given exactly
 * `mode` before a byte is written, every byte written, fsync, rename over path, fsync of the
 * folder. On any failure the temporary file is removed and path is left as it was. data is
 * borrowed; the caller wipes its own copy of a secret. Returns 0 or -errno. */
int oe_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* fsync of a folder, after entries in it were renamed or removed. Returns 0 or -errno. */
int oe_file_sync_dir(const char *dir);

/* Whether name (a folder entry) is a temporary file that oe_file_write_atomic left behind for a
 * file whose name ends in suffix (e.g. ".key"), after a crash between create and rename. A
 * temporary file that another live process is still writing (its pid is in the name) is not. */
bool oe_file_is_stale_temp(const char *name, const char *suffix);

/* Appends the whole file at path to b (not a secret: no mode check, nothing wiped); false when it
 * cannot be opened. A read error ends it early, as at the end of the file. */
bool oe_file_read_all(const char *path, oe_buf_t *b);

/* Reads a whole secret file into out (at most cap bytes) and returns its length. The file is
 * opened without following a link and its mode is checked before a byte is read: -EPERM when
 * group or others may read it. OE_ESPACE when it holds more than cap bytes. out is wiped on
 * every failure. */
int oe_file_read_secret(const char *path, uint8_t *out, size_t cap);

/* A key file in the strict form (wireguard-tools' parse_keyfile): one line of exactly `len`
 * characters, optionally ended by "\n" or "\r\n", nothing else (no second line, no spaces).
 * Reads it like oe_file_read_secret into out, which has len + 2 bytes, and NUL-terminates it.
 * Returns 0, -EPERM (mode), -errno, or OE_EFORMAT (any other length or content). out is wiped on
 * every failure. */
int oe_file_read_key_line(const char *path, char *out, size_t len);

#endif
