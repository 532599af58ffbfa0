/*
 * For the fuzz targets that need fixed keys or transactions before any input (odoh_message.c,
 * ohttp_decap.c): the target defines static void setup(void), which aborts on failure, and
 * libFuzzer runs it once, before the first input, through LLVMFuzzerInitialize. Included by
 * exactly one .c per target.
 */
#ifndef OE_FUZZ_SETUP_H
#define OE_FUZZ_SETUP_H

static void setup(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setup();
    return 0;
}

#endif
