/* test_blas_link.c - one BLAS serves everyone: cblas_sgemm must resolve to OpenBLAS, not to GSL's
 * reference gslcblas that GSL's pkg-config would put on the link line. */
#include <cblas.h>
#include <dlfcn.h>
#include <string.h>

#include "check.h"

int main(void) {
    Dl_info info;
    (void)cblas_sgemm; /* referenced, so the binary links a CBLAS as the library does */
    void *sgemm = dlsym(RTLD_DEFAULT, "cblas_sgemm");
    CHECK(sgemm && dladdr(sgemm, &info) != 0);
    CHECK_MSG(info.dli_fname && strstr(info.dli_fname, "openblas"), "cblas_sgemm comes from %s",
              info.dli_fname ? info.dli_fname : "?");
    /* and GSL's own BLAS calls land there too: the first cblas_sdot in the global scope */
    void *sdot = dlsym(RTLD_DEFAULT, "cblas_sdot");
    CHECK(sdot && dladdr(sdot, &info) && strstr(info.dli_fname, "openblas"));
    return check_done("blas_link");
}
