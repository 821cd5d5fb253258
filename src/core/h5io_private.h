/* h5io_private.h - what h5io.c (writing, attributes) and h5read.c (matrices in) share. */
#ifndef QB_H5IO_PRIVATE_H
#define QB_H5IO_PRIVATE_H

#include <hdf5.h>
#include <stddef.h>

#include "error.h"

/* Switches off HDF5's printed error stack (and, once, its cleanup at exit). */
void h5io_quiet(void);
/* "FILE.h5:/path" into its parts; no ":/" means H5_DEFAULT_DATASET. */
void h5io_split_spec(const char *spec, char *file, size_t flen, char *path, size_t plen);
/* Opens an existing HDF5 file read-only, with a clear error for a missing or non-HDF5 file. */
int h5io_open_for_reading(const char *file, hid_t *fid, qb_error *err);

#endif
