/* h5io.h - HDF5 matrices in and out. Reads any 2-D numeric dataset (float16/32/64, integers) into
 * float32; writes whole files atomically (a temporary beside the target, renamed on commit), so a
 * failed or interrupted write never leaves a partial file. */
#ifndef QB_H5IO_H
#define QB_H5IO_H

#include <hdf5.h>

#include "error.h"
#include "matrix.h"

#define H5_DEFAULT_DATASET "/matrix"

typedef struct {
    const char *source; /* where the data came from */
    const char *license;
    const char *description;
    unsigned source_bits; /* bits per element in the original (0: not written) */
} h5_attrs;

/* "FILE.h5" or "FILE.h5:/path" (default /matrix). source_bits (optional): the dataset's
 * `source_bits` attribute, else the stored type's width. Rejects rank != 2, NaN/Inf, a size
 * beyond the memory bound, stored bytes that do not match the shape and type (or lie past the
 * file's end), data never written, external files that are short or outside the file's folder,
 * and virtual datasets. libhdf5 reads in a child process: a file that crashes it is an error. */
int h5_read_matrix(const char *spec, matrix *out, unsigned *source_bits, qb_error *err);
/* The same checks and reading in this process, without the child: for fuzzing the checks (a
 * crash of the library then crashes the caller). */
int h5_read_matrix_here(const char *spec, matrix *out, unsigned *source_bits, qb_error *err);

/* Whether FILE holds an object at `path` (1), not (0), or cannot be read (QB_EINPUT, err set: -1).
 */
int h5_has_object(const char *file, const char *path, qb_error *err);

/* Reads a string attribute of a dataset into buf ("" when absent). */
int h5_read_string_attr(const char *file, const char *dataset, const char *name, char *buf,
                        size_t len, qb_error *err);

typedef struct {
    hid_t file;
    char final_path[4096];
    char tmp_path[4096];
} h5_writer;

int h5_writer_open(h5_writer *w, const char *path, qb_error *err);
/* Writes a float32 dataset (intermediate groups created) with its attributes (attrs may be NULL).
 */
int h5_writer_put(h5_writer *w, const char *dataset, const matrix *m, const h5_attrs *attrs,
                  qb_error *err);
/* Attaches a string attribute to an existing object (a dataset or group, "/" for the file). */
int h5_writer_string_attr(h5_writer *w, const char *object, const char *name, const char *value,
                          qb_error *err);
int h5_writer_commit(h5_writer *w, qb_error *err); /* close, fsync, rename over the target */
void h5_writer_abort(h5_writer *w);                /* close and remove the temporary */

/* One matrix to one new file, atomically. */
int h5_write_matrix(const char *path, const char *dataset, const matrix *m, const h5_attrs *attrs,
                    qb_error *err);

/* Why the last HDF5 call failed, on one line: the system's error when the library recorded one
 * ("No space left on device"), else its innermost message. Call it right after the failure:
 * the next HDF5 call clears the record. */
void h5_last_cause(char *buf, size_t len);

/* HDF5 library version, for results rows. */
const char *h5_version(void);

#endif
