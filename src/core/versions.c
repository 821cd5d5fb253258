/* versions.c - library versions for results rows, gathered once. Its own file: it needs cblas.h
 * (for OpenBLAS's config string), which must not meet GSL's BLAS-declaring headers. */
#include "versions.h"

#include <cblas.h>
#include <gsl/gsl_version.h>
#include <lua.h>
#include <stdio.h>

#include "h5io.h"
#include "revision.h"

#ifndef QB_VERSION
#define QB_VERSION "unknown"
#endif

const char *qb_versions(void) {
    static char buf[256];
    static int done;
#pragma omp critical(qb_versions)
    if (!done) {
        snprintf(buf, sizeof buf, "qetbench %s; HDF5 %s; GSL %s; %s; %s", QB_VERSION, h5_version(),
                 GSL_VERSION, LUA_RELEASE, openblas_get_config());
        done = 1;
    }
    return buf;
}

const char *qb_revision(void) {
    return QB_REVISION;
}
