/* fuzz_lua.c - experiment files: run in the sandbox with short bounds, and the grid of a config
 * that reads expanded. Whatever the script does, the reader returns QB_OK or an error on one
 * line; it never panics, exits, or reaches beyond the sandbox. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "lua_api.h"
#include "sizes.h"
#include "sweep.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    size_set_memory_bound(1u << 20); /* qet.dataset and qet.quantize stay quick */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) /* print() of a config is not the fuzzer's output */
        dup2(null, 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sweep_config c; /* about 180 KB */
    const char *path = fuzz_file("config.lua", data, size);
    lua_config_options o = {0, 0.25, 20000};
    int has = 0;
    qb_error e = {0};
    int s = lua_config_run_with(path, &o, &c, &has, &e);
    FUZZ_CHECK(s == QB_OK || s == QB_EINPUT || s == QB_EINTERNAL);
    if (s) {
        FUZZ_CHECK(e.msg[0] && !strchr(e.msg, '\n') && !has);
        return 0;
    }
    if (has) {
        sweep_cell *cells;
        size_t n;
        if (sweep_expand(&c, &cells, &n, &e) == QB_OK) {
            FUZZ_CHECK(n <= 20000);
            free(cells);
        }
    }
    return 0;
}
