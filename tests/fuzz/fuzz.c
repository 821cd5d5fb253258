/* fuzz.c - the shared part of the fuzz targets. */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sizes.h"

static char dir[64];
static char file[128];

void fuzz_fail(const char *what, const char *where, int line) {
    fprintf(stderr, "fuzz check failed at %s:%d: %s\n", where, line, what);
    __builtin_trap();
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

void fuzz_setup(void) {
    if (dir[0])
        return;
    size_set_memory_bound(FUZZ_MEMORY_BOUND);
    snprintf(dir, sizeof dir, "%s/qb_fuzz_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(remove_dir);
}

const char *fuzz_dir(void) {
    return dir;
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *f = fopen(file, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(file);
        abort();
    }
    return file;
}

void fuzz_check_read(int s, matrix *m, const qb_error *e) {
    FUZZ_CHECK(s == QB_OK || s == QB_EINPUT || s == QB_EINTERNAL);
    if (s) {
        FUZZ_CHECK(m->data == NULL);
        FUZZ_CHECK(e->msg[0] && !strchr(e->msg, '\n'));
        return;
    }
    FUZZ_CHECK(m->data && m->rows > 0 && m->cols > 0);
    for (size_t i = 0; i < m->rows * m->cols; i++)
        FUZZ_CHECK(isfinite(m->data[i]));
    matrix_free(m);
}
