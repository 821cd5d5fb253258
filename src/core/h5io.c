/* h5io.c - HDF5 reading and atomic writing of matrices. */
#include "h5io.h"
#include "h5io_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* HDF5 prints its own error stack by default; we report one line instead. Its cleanup at exit
 * closes whatever is still open, and after a close that failed (a full disk) it crashes in
 * H5F__close_cb (1.10.8): we close everything we open, so it is switched off, which must happen
 * before anything else HDF5 does. */
static void start_once(void) {
    H5dont_atexit();
}

void h5io_quiet(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, start_once);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct {
    char *buf;
    size_t len;
    int from_errno;
} cause;

/* The system's error where a call recorded one ("errno = 28, ..."), else the innermost
 * description. */
static herr_t cause_of(unsigned n, const H5E_error2_t *e, void *ctx) {
    (void)n;
    cause *c = ctx;
    const char *no = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (c->from_errno || !e->desc)
        return 0;
    if (no && atoi(no + 8) > 0) {
        snprintf(c->buf, c->len, "%s", strerror(atoi(no + 8)));
        c->from_errno = 1;
    } else {
        snprintf(c->buf, c->len, "%s", e->desc);
    }
    return 0;
}

void h5_last_cause(char *buf, size_t len) {
    cause c = {buf, len, 0};
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, cause_of, &c);
    for (char *p = buf; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (!buf[0])
        snprintf(buf, len, "the HDF5 library gives no reason");
}

/* A temporary that could not be finished: emptied first, since HDF5 may still hold it open
 * after a failed close and an unlinked file keeps its blocks until then (a full disk stays
 * full), then removed. */
static void drop_temporary(const char *path) {
    if (truncate(path, 0) != 0 && errno != ENOENT)
        errno = 0;
    unlink(path);
}

void h5io_split_spec(const char *spec, char *file, size_t flen, char *path, size_t plen) {
    const char *colon = strstr(spec, ":/");
    if (colon) {
        size_t len = (size_t)(colon - spec);
        if (len >= flen)
            len = flen - 1;
        memcpy(file, spec, len);
        file[len] = 0;
        snprintf(path, plen, "%s", colon + 1);
    } else {
        snprintf(file, flen, "%s", spec);
        snprintf(path, plen, "%s", H5_DEFAULT_DATASET);
    }
}

int h5io_open_for_reading(const char *file, hid_t *fid, qb_error *err) {
    h5io_quiet();
    FILE *f = fopen(file, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s': %s", file, strerror(errno));
    fclose(f);
    if (H5Fis_hdf5(file) <= 0)
        return qb_fail(err, "'%s' is not an HDF5 file", file);
    *fid = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*fid < 0)
        return qb_fail(err, "cannot open HDF5 file '%s'", file);
    return QB_OK;
}

int h5_has_object(const char *file, const char *path, qb_error *err) {
    hid_t fid;
    if (h5io_open_for_reading(file, &fid, err))
        return -1;
    /* H5Lexists needs every group above the link to exist: walk the path one link at a time. */
    char part[1024];
    int found = path[0] == '/' && strlen(path) < sizeof part;
    for (const char *p = path + 1; found > 0 && *p;) {
        const char *slash = strchr(p, '/');
        size_t end = slash ? (size_t)(slash - path) : strlen(path);
        memcpy(part, path, end);
        part[end] = 0;
        found = H5Lexists(fid, part, H5P_DEFAULT) > 0;
        p = slash ? slash + 1 : path + end;
    }
    H5Fclose(fid);
    return found;
}

int h5_read_string_attr(const char *file, const char *dataset, const char *name, char *buf,
                        size_t len, qb_error *err) {
    buf[0] = 0;
    hid_t fid;
    int s = h5io_open_for_reading(file, &fid, err);
    if (s)
        return s;
    hid_t obj = H5Oopen(fid, dataset, H5P_DEFAULT);
    if (obj < 0) {
        H5Fclose(fid);
        return qb_fail(err, "'%s' has no object '%s'", file, dataset);
    }
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                snprintf(buf, len, "%s", v);
                H5free_memory(v);
            }
        } else {
            size_t sz = H5Tget_size(t);
            char *v = calloc(sz + 1, 1);
            H5Tset_size(mt, sz + 1);
            if (v && H5Aread(a, mt, v) >= 0)
                snprintf(buf, len, "%s", v);
            free(v);
        }
        H5Tclose(mt);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Oclose(obj);
    H5Fclose(fid);
    return QB_OK;
}

int h5_writer_open(h5_writer *w, const char *path, qb_error *err) {
    h5io_quiet();
    if (snprintf(w->final_path, sizeof w->final_path, "%s", path) >= (int)sizeof w->final_path ||
        snprintf(w->tmp_path, sizeof w->tmp_path, "%s.tmp-%ld", path, (long)getpid()) >=
            (int)sizeof w->tmp_path)
        return qb_fail(err, "path too long: '%s'", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST);
    w->file = H5Fcreate(w->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    char why[512];
    h5_last_cause(why, sizeof why);
    H5Pclose(fapl);
    if (w->file < 0) {
        drop_temporary(w->tmp_path);
        return qb_fail(err, "cannot create '%s': %s", w->tmp_path, why);
    }
    return QB_OK;
}

static int put_string_attr(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t sp = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a >= 0 ? H5Awrite(a, t, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return r < 0 ? -1 : 0;
}

int h5_writer_put(h5_writer *w, const char *dataset, const matrix *m, const h5_attrs *attrs,
                  qb_error *err) {
    hsize_t dims[2] = {m->rows, m->cols};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(w->file, dataset, H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    char why[512];
    h5_last_cause(why, sizeof why);
    H5Pclose(lcpl);
    H5Sclose(sp);
    if (ds < 0)
        return qb_fail(err, "cannot create dataset '%s' in '%s': %s", dataset, w->final_path, why);
    int bad = H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->data) < 0;
    if (bad)
        h5_last_cause(why, sizeof why);
    if (!bad && attrs) {
        if (attrs->source)
            bad |= put_string_attr(ds, "source", attrs->source);
        if (attrs->license)
            bad |= put_string_attr(ds, "license", attrs->license);
        if (attrs->description)
            bad |= put_string_attr(ds, "description", attrs->description);
        if (attrs->source_bits) {
            hid_t asp = H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(ds, "source_bits", H5T_STD_U32LE, asp, H5P_DEFAULT, H5P_DEFAULT);
            bad |= a < 0 || H5Awrite(a, H5T_NATIVE_UINT, &attrs->source_bits) < 0;
            if (a >= 0)
                H5Aclose(a);
            H5Sclose(asp);
        }
    }
    if (H5Dclose(ds) < 0 && !bad++)
        h5_last_cause(why, sizeof why);
    return bad ? qb_internal(err, "writing '%s' to '%s' failed: %s", dataset, w->final_path, why)
               : QB_OK;
}

int h5_writer_string_attr(h5_writer *w, const char *object, const char *name, const char *value,
                          qb_error *err) {
    hid_t obj = H5Oopen(w->file, object, H5P_DEFAULT);
    if (obj < 0)
        return qb_fail(err, "no object '%s' in '%s'", object, w->final_path);
    int bad = put_string_attr(obj, name, value);
    char why[512];
    if (bad)
        h5_last_cause(why, sizeof why);
    H5Oclose(obj);
    return bad ? qb_internal(err, "cannot write attribute '%s' to '%s': %s", name, w->final_path,
                             why)
               : QB_OK;
}

int h5_writer_commit(h5_writer *w, qb_error *err) {
    if (H5Fclose(w->file) < 0) {
        char why[512];
        h5_last_cause(why, sizeof why);
        drop_temporary(w->tmp_path);
        return qb_internal(err, "cannot finish '%s': %s", w->tmp_path, why);
    }
    int fd = open(w->tmp_path, O_RDONLY), e = 0;
    if (fd < 0 || fsync(fd) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    if (!e && rename(w->tmp_path, w->final_path) != 0)
        e = errno;
    if (e) {
        drop_temporary(w->tmp_path);
        return qb_fail(err, "cannot write '%s': %s", w->final_path, strerror(e));
    }
    return QB_OK;
}

void h5_writer_abort(h5_writer *w) {
    H5Fclose(w->file);
    drop_temporary(w->tmp_path);
}

int h5_write_matrix(const char *path, const char *dataset, const matrix *m, const h5_attrs *attrs,
                    qb_error *err) {
    h5_writer w;
    int s = h5_writer_open(&w, path, err);
    if (s)
        return s;
    s = h5_writer_put(&w, dataset, m, attrs, err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}

const char *h5_version(void) {
    static char v[32];
    unsigned maj, min, rel;
    h5io_quiet();
    H5get_libversion(&maj, &min, &rel);
    snprintf(v, sizeof v, "%u.%u.%u", maj, min, rel);
    return v;
}
