/* test_blas_link.c - one BLAS serves everyone: with the library's k-means (BLAS) and GSL both
 * linked, the process-wide cblas_sgemm and cblas_sdot must come from OpenBLAS, not from GSL's
 * reference gslcblas that GSL's pkg-config would put on the link line. */
#include <dlfcn.h>
#include <string.h>

#include "check.h"
#include "kmeans.h"
#include "rng.h"

static void check_symbol(const char *name) {
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, name);
    int found = sym && dladdr(sym, &info) && info.dli_fname;
    CHECK_MSG(found && strstr(info.dli_fname, "openblas"), "%s comes from %s", name,
              found ? info.dli_fname : "nowhere");
}

int main(void) {
    /* use both libraries so the linker keeps them, as in qetbench */
    qb_error err;
    float x[4] = {0, 0, 1, 1}, c[2] = {0, 1};
    uint32_t codes[2];
    CHECK_OK(kmeans_assign(x, 2, 2, 2, c, 1, codes, NULL, &err), &err);
    gsl_rng *r = rng_stream(1, 2, 3);
    CHECK(r != NULL);
    gsl_rng_free(r);
    check_symbol("cblas_sgemm");
    check_symbol("cblas_sdot");
    return check_done("blas_link");
}
