/* keys/publish.c: a failed on-change spawn closes its handle (libuv inserts it into the loop
 * even when uv_spawn fails; it may be freed only in the close callback, STYLE habit 21). The
 * unit is included so its static run_command can be driven directly (habit 19); the archive's
 * copy of publish.o is then never linked. uv_spawn is made to fail by running out of file
 * descriptors (it needs a pipe), which works for root too. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "keys/publish.c"
#include "unit/test.h"

TEST(keys_failed_spawn_closes_the_handle)
{
    uv_loop_t loop;
    CHECK_INT(uv_loop_init(&loop), 0);
    keys_conf_t conf = {.on_change = "true"};
    keys_t k = {.conf = &conf, .loop = &loop};
    uint8_t configs[4] = {0, 2, 0, 1};

    struct rlimit old, low;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 64;
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[64], n = 0;
    while (n < 64) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            break;
        fds[n++] = fd;
    }
    CHECK_INT(errno, EMFILE);
    run_command(&k, configs, sizeof(configs)); /* logs the failure */
    while (n > 0)
        close(fds[--n]);
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &old), 0);

    CHECK_INT(uv_run(&loop, UV_RUN_DEFAULT), 0); /* runs the close callback */
    CHECK_INT(uv_loop_close(&loop), 0);          /* no handle left behind */
}
