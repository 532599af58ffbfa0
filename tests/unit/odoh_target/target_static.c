/*
 * The target's static logic, tested by including the unit (h2o's t/00unit habit): media-type
 * matching and the first-start seed file. This file must be the only one that includes target.c;
 * its definitions then stand in for the library's copy at link time.
 */
#include <sys/stat.h>

#include "odoh_target/target.c"
#include "unit/test.h"

TEST(target_media_type_matching)
{
    CHECK(oe_http_media_is(OE_SLICE_STR("application/oblivious-dns-message"), MEDIA_ODOH));
    CHECK(oe_http_media_is(OE_SLICE_STR("Application/Oblivious-DNS-Message"), MEDIA_ODOH));
    CHECK(oe_http_media_is(OE_SLICE_STR("application/oblivious-dns-message; q=1"), MEDIA_ODOH));
    CHECK(oe_http_media_is(OE_SLICE_STR("application/oblivious-dns-message;x"), MEDIA_ODOH));
    CHECK(!oe_http_media_is(OE_SLICE_STR("application/oblivious-dns-messages"), MEDIA_ODOH));
    CHECK(!oe_http_media_is(OE_SLICE_STR("application/oblivious-dns"), MEDIA_ODOH));
    CHECK(!oe_http_media_is(OE_SLICE_STR("application/dns-message"), MEDIA_ODOH));
    CHECK(!oe_http_media_is(OE_SLICE(NULL, 0), MEDIA_ODOH));
    CHECK(oe_http_media_is(OE_SLICE_STR("application/dns-message"), MEDIA_DNS));
}

TEST(target_seed_file_is_strict)
{
    uint8_t a[32], b[32];
    char path[4200];
    const char *dir = oe_test_tmpdir();
    snprintf(path, sizeof(path), "%s/odoh/target.seed", dir);
    CHECK_INT(load_or_create_seed(dir, a), 0); /* created */
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(st.st_size, 64);
    CHECK_INT(load_or_create_seed(dir, b), 0); /* read back */
    CHECK_MEM(b, 32, a, 32);

    size_t len;
    char *hex = oe_test_read_file(path, &len);
    char text[80];
    snprintf(text, sizeof(text), "%.64s\n", hex); /* one final newline is fine */
    oe_test_write_file("odoh/target.seed", text);
    CHECK_INT(chmod(path, 0600), 0);
    CHECK_INT(load_or_create_seed(dir, b), 0);
    CHECK_MEM(b, 32, a, 32);
    snprintf(text, sizeof(text), "%.64s junk", hex); /* anything else on the line is not */
    oe_test_write_file("odoh/target.seed", text);
    CHECK_INT(chmod(path, 0600), 0);
    CHECK_INT(load_or_create_seed(dir, b), OE_EFORMAT);
    snprintf(text, sizeof(text), "%.63s", hex);
    oe_test_write_file("odoh/target.seed", text);
    CHECK_INT(chmod(path, 0600), 0);
    CHECK_INT(load_or_create_seed(dir, b), OE_EFORMAT);
    snprintf(text, sizeof(text), "%.64s", hex);
    oe_test_write_file("odoh/target.seed", text);
    CHECK_INT(chmod(path, 0644), 0);
    CHECK_INT(load_or_create_seed(dir, b), -EPERM);
    free(hex);
}
