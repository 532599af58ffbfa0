/*
 * A static binary must not reach glibc's NSS (it would need the shared NSS modules of the glibc
 * it was built with at run time). libuv's core.c refers to getpwuid_r and getgrgid_r for
 * uv_os_get_passwd and uv_os_get_group, which odoh-edge never calls; these definitions win over
 * libc's at link time, so no NSS code comes in with them. Host names are resolved through the
 * configured DNS upstream instead (modules/dns/upstream.c), never through getaddrinfo.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>

int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t len, struct passwd **result)
{
    *result = NULL;
    return ENOSYS;
}

int getgrgid_r(gid_t gid, struct group *grp, char *buf, size_t len, struct group **result)
{
    *result = NULL;
    return ENOSYS;
}
