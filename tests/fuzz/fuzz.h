/* fuzz.h - what every fuzz target shares. Readers take paths, so the input becomes a file in a
 * private folder; declared sizes must be refused above a small memory bound (64 MiB), not
 * allocated; and each target checks what a reader promises: on success a finite, non-empty
 * matrix, on failure no matrix and one line saying why (FUZZ_CHECK traps otherwise, which
 * libFuzzer and the replay driver both report). */
#ifndef QB_FUZZ_H
#define QB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "matrix.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MEMORY_BOUND (64u << 20)

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(#cond, __FILE__, __LINE__);                                                  \
    } while (0)

/* Prints what failed and traps. */
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));
/* The small memory bound, HDF5 quiet, a private folder; once. */
void fuzz_setup(void);
/* The private folder. */
const char *fuzz_dir(void);
/* Writes data to fuzz_dir()/name; returns the path (valid until the next call). */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);
/* The promise of a reader's result: status s, matrix m (its data freed here), error e. */
void fuzz_check_read(int s, matrix *m, const qb_error *e);

#endif
