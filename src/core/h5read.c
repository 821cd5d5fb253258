/* h5read.c - a 2-D HDF5 dataset into a float32 matrix. What the file declares is checked before
 * anything is read: the stored bytes against the shape and type, external data files against
 * what they hold, the size against the memory bound. And libhdf5 reads in a child process: a
 * corrupt file that crashes the library (1.10.8 has such bugs, in H5D__contig_read and H5Aexists
 * among others) ends the child, and the caller gets an error instead of a dead process. */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5io.h"
#include "h5io_private.h"
#include "sizes.h"

#define BLOCK_BYTES (4u << 20) /* rows the child reads and sends at once */

typedef struct {
    hid_t fid, ds, space, dtype;
    size_t rows, cols;
    unsigned bits; /* the source_bits attribute, else the stored type's width (32 for integers) */
} h5_source;

static void source_close(h5_source *src) {
    if (src->dtype >= 0)
        H5Tclose(src->dtype);
    if (src->space >= 0)
        H5Sclose(src->space);
    if (src->ds >= 0)
        H5Dclose(src->ds);
    if (src->fid >= 0)
        H5Fclose(src->fid);
    src->fid = src->ds = src->space = src->dtype = -1;
}

static int read_uint_attr(hid_t obj, const char *name, unsigned *out) {
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    unsigned v = 0;
    herr_t r = H5Aread(a, H5T_NATIVE_UINT, &v);
    H5Aclose(a);
    if (r < 0)
        return -1;
    *out = v;
    return 0;
}

/* External storage: each file must hold its part (HDF5 silently reads zeros past a short file's
 * end), in the dataset file's folder, where the dataset is opened to look (${ORIGIN}). */
static int check_external(const char *file, const char *path, hid_t dcpl, int count, uint64_t bytes,
                          qb_error *err) {
    uint64_t covered = 0;
    for (int i = 0; i < count && covered < bytes; i++) {
        char name[1024] = "", where[4200];
        off_t offset = 0;
        hsize_t size = 0;
        if (H5Pget_external(dcpl, (unsigned)i, sizeof name, name, &offset, &size) < 0)
            return qb_fail(err, "'%s:%s': unreadable external storage list", file, path);
        if (name[0] == '/' || strstr(name, ".."))
            return qb_fail(err,
                           "'%s:%s' keeps its data in '%s', outside the file's folder: refused",
                           file, path, name);
        const char *slash = strrchr(file, '/'); /* the dataset is opened with ${ORIGIN} */
        if (slash)
            snprintf(where, sizeof where, "%.*s/%s", (int)(slash - file), file, name);
        else
            snprintf(where, sizeof where, "%s", name);
        uint64_t part = bytes - covered;
        if (size != H5F_UNLIMITED && size < part)
            part = size;
        struct stat st;
        if (stat(where, &st) != 0)
            return qb_fail(err, "'%s:%s' keeps its data in '%s': %s", file, path, where,
                           strerror(errno));
        if (offset < 0 || (uint64_t)st.st_size < (uint64_t)offset ||
            (uint64_t)st.st_size - (uint64_t)offset < part)
            return qb_fail(err,
                           "'%s:%s' keeps %llu bytes in '%s' from byte %lld, but that file has "
                           "%lld: refused (HDF5 would read zeros for the rest)",
                           file, path, (unsigned long long)part, where, (long long)offset,
                           (long long)st.st_size);
        covered += part;
    }
    if (covered < bytes)
        return qb_fail(err, "'%s:%s': its external files hold %llu of the %llu bytes it declares",
                       file, path, (unsigned long long)covered, (unsigned long long)bytes);
    return QB_OK;
}

/* The stored bytes against what the shape and type need. */
static int check_storage(const char *file, const char *path, const h5_source *src, size_t es,
                         uint64_t bytes, qb_error *err) {
    hid_t dcpl = H5Dget_create_plist(src->ds);
    if (dcpl < 0)
        return qb_fail(err, "'%s:%s': unreadable storage properties (corrupt file?)", file, path);
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int n_ext = H5Pget_external_count(dcpl);
    int s = QB_OK;
    if (layout == H5D_VIRTUAL) {
        s = qb_fail(err, "'%s:%s' is a virtual dataset (its data lives in other files): refused",
                    file, path);
    } else if (layout < 0 || n_ext < 0) {
        s = qb_fail(err, "'%s:%s': unreadable storage layout (corrupt file?)", file, path);
    } else if (n_ext > 0) {
        s = check_external(file, path, dcpl, n_ext, bytes, err);
    } else {
        hsize_t stored = H5Dget_storage_size(src->ds), fsize = 0;
        haddr_t at = layout == H5D_CONTIGUOUS ? H5Dget_offset(src->ds) : 0;
        if (stored == 0)
            s = qb_fail(err, "'%s:%s' declares %zu x %zu but stores no data (never written)", file,
                        path, src->rows, src->cols);
        else if ((layout == H5D_CONTIGUOUS || layout == H5D_COMPACT) && stored != bytes)
            s = qb_fail(err,
                        "'%s:%s' declares %zu x %zu of %zu-byte elements (%llu bytes) but stores "
                        "%llu: the file is corrupt",
                        file, path, src->rows, src->cols, es, (unsigned long long)bytes,
                        (unsigned long long)stored);
        else if (layout == H5D_CONTIGUOUS &&
                 (H5Fget_filesize(src->fid, &fsize) < 0 || at == HADDR_UNDEF || at > fsize ||
                  bytes > fsize - at))
            s = qb_fail(err,
                        "'%s:%s' stores its %llu bytes at byte %llu of a %llu-byte file: the file "
                        "is truncated or corrupt",
                        file, path, (unsigned long long)bytes, (unsigned long long)at,
                        (unsigned long long)fsize);
        /* chunked: compressed chunks may be any size, and chunks never written read as the fill
         * value; the memory bound is what holds there */
    }
    H5Pclose(dcpl);
    return s;
}

/* Opens FILE:PATH and checks everything it declares before a byte of data is read. */
static int inspect(const char *file, const char *path, h5_source *src, qb_error *err) {
    *src = (h5_source){-1, -1, -1, -1, 0, 0, 32};
    int s = h5io_open_for_reading(file, &src->fid, err);
    if (s)
        return s;
    /* External data files are looked for beside the file, not in the working directory. */
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl >= 0)
        H5Pset_efile_prefix(dapl, "${ORIGIN}");
    if (H5Lexists(src->fid, path, H5P_DEFAULT) > 0)
        src->ds = H5Dopen2(src->fid, path, dapl >= 0 ? dapl : H5P_DEFAULT);
    if (dapl >= 0)
        H5Pclose(dapl);
    if (src->ds < 0)
        return qb_fail(err, "'%s' has no dataset '%s'", file, path);
    src->space = H5Dget_space(src->ds);
    src->dtype = H5Dget_type(src->ds);
    if (src->space < 0 || src->dtype < 0)
        return qb_fail(err, "'%s:%s': unreadable shape or type (corrupt file?)", file, path);
    int rank = H5Sget_simple_extent_ndims(src->space);
    if (rank != 2)
        return qb_fail(err, "'%s:%s' has rank %d; a matrix needs rank 2", file, path, rank);
    H5T_class_t cls = H5Tget_class(src->dtype);
    size_t es = H5Tget_size(src->dtype);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        return qb_fail(err, "'%s:%s' is not numeric", file, path);
    if (es < 1 || es > 8)
        return qb_fail(err, "'%s:%s' has %zu-byte elements; a matrix holds 1 to 8", file, path, es);
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_dims(src->space, dims, NULL) != 2)
        return qb_fail(err, "'%s:%s': unreadable shape (corrupt file?)", file, path);
    uint64_t bytes, floats; /* as stored, and as the float32 matrix */
    if (size_mul3(dims[0], dims[1], es, &bytes) || size_mul3(dims[0], dims[1], 4, &floats))
        return qb_fail(err, "'%s:%s' declares %llu x %llu elements: its size overflows 64 bits",
                       file, path, (unsigned long long)dims[0], (unsigned long long)dims[1]);
    if (!dims[0] || !dims[1])
        return qb_fail(err, "'%s:%s' is empty (%llu x %llu)", file, path,
                       (unsigned long long)dims[0], (unsigned long long)dims[1]);
    src->rows = (size_t)dims[0];
    src->cols = (size_t)dims[1];
    if ((s = check_storage(file, path, src, es, bytes, err)))
        return s;
    if (read_uint_attr(src->ds, "source_bits", &src->bits) != 0)
        src->bits = cls == H5T_FLOAT ? (unsigned)(es * 8) : 32;
    return QB_OK;
}

/* Rows r0 .. r0 + n of the dataset, as float32, into buf. */
static int read_rows(const h5_source *src, size_t r0, size_t n, float *buf) {
    hsize_t start[2] = {r0, 0}, count[2] = {n, src->cols};
    hid_t fs = H5Scopy(src->space), ms = H5Screate_simple(2, count, NULL);
    int bad = fs < 0 || ms < 0 ||
              H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
              H5Dread(src->ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf) < 0;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return bad ? -1 : 0;
}

/* The memory the matrix needs, against the bound, named by its file. */
static int check_memory(const char *file, const char *path, size_t rows, size_t cols,
                        qb_error *err) {
    char what[5300];
    snprintf(what, sizeof what, "'%s:%s' (%zu x %zu) as float32", file, path, rows, cols);
    return size_check_memory(what, (uint64_t)rows * cols * sizeof(float), err); /* checked */
}

int h5_read_matrix_here(const char *spec, matrix *out, unsigned *source_bits, qb_error *err) {
    char file[4096], path[1024], what[5200];
    h5io_split_spec(spec, file, sizeof file, path, sizeof path);
    *out = (matrix){0};
    h5_source src;
    int s = inspect(file, path, &src, err);
    if (!s)
        s = check_memory(file, path, src.rows, src.cols, err);
    if (!s)
        s = matrix_alloc(out, src.rows, src.cols, err);
    if (!s && read_rows(&src, 0, src.rows, out->data) != 0) {
        char why[512];
        h5_last_cause(why, sizeof why);
        s = qb_fail(err, "cannot read '%s:%s' as float32: %s", file, path, why);
    }
    snprintf(what, sizeof what, "'%s:%s'", file, path);
    if (!s)
        s = matrix_check_finite(out, what, err);
    if (!s && source_bits)
        *source_bits = src.bits;
    source_close(&src);
    if (s)
        matrix_free(out);
    return s;
}

/* ---- the child process and what it sends ---- */

/* Before the data: the shape or why there is none. Each block of rows: a frame, then the rows;
 * a frame with a status ends the stream with that error. */
typedef struct {
    int status;
    uint64_t rows, cols;
    unsigned bits;
    char msg[1024];
} header;

static int write_all(int fd, const void *p, size_t n) {
    for (const char *c = p; n;) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t read_all(int fd, void *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void send_error(int fd, int status, const char *msg) {
    header h = {status, 0, 0, 0, ""};
    snprintf(h.msg, sizeof h.msg, "%s", msg);
    write_all(fd, &h, sizeof h);
}

/* Under a sanitizer (the test and fuzz builds), a report in the child ends it by a signal too,
 * as the same fault would without one, and not through a death callback inherited from the
 * parent (a fuzzer's, which would record the input as its own crash). */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
static void die_by_signal(void) {
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* In the child: inspect, then send every row; never returns. */
__attribute__((noreturn)) static void child(const char *spec, int fd) {
    /* A crash must end this process plainly, as its signal: no core file. */
    const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        signal(sigs[i], SIG_DFL);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    /* Nor a word of its own: the caller's error is the one line (glibc's "stack smashing
     * detected" goes to stderr, not the terminal, and stderr is nowhere). */
    setenv("LIBC_FATAL_STDERR_", "1", 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, 2);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(die_by_signal);
    char file[4096], path[1024];
    h5io_split_spec(spec, file, sizeof file, path, sizeof path);
    qb_error e = {0};
    h5_source src;
    header h = {0, 0, 0, 0, ""};
    h.status = inspect(file, path, &src, &e);
    if (h.status) {
        send_error(fd, h.status, e.msg);
        _exit(0);
    }
    h.rows = src.rows;
    h.cols = src.cols;
    h.bits = src.bits;
    if (write_all(fd, &h, sizeof h))
        _exit(1);
    size_t block = BLOCK_BYTES / (src.cols * sizeof(float));
    block = block ? (block < src.rows ? block : src.rows) : 1;
    float *buf = malloc(block * src.cols * sizeof(float));
    if (!buf) {
        send_error(fd, QB_EINTERNAL, "out of memory");
        _exit(0);
    }
    for (size_t r0 = 0; r0 < src.rows; r0 += block) {
        size_t n = src.rows - r0 < block ? src.rows - r0 : block;
        header frame = {0, n, 0, 0, ""};
        if (read_rows(&src, r0, n, buf) != 0) {
            char why[512], msg[5800];
            h5_last_cause(why, sizeof why);
            snprintf(msg, sizeof msg, "cannot read '%s:%s' as float32: %s", file, path, why);
            send_error(fd, QB_EINPUT, msg);
            _exit(0);
        }
        if (write_all(fd, &frame, sizeof frame) || write_all(fd, buf, n * src.cols * sizeof(float)))
            _exit(1);
    }
    _exit(0);
}

/* Why the child stopped before it was done. */
static int child_failed(pid_t pid, const char *spec, qb_error *err) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(st))
        return qb_fail(err,
                       "reading '%s' crashed the HDF5 library (%s): the file is corrupt, or "
                       "holds what this HDF5 version cannot read",
                       spec, strsignal(WTERMSIG(st)));
    return qb_fail(err, "reading '%s' stopped in the HDF5 library (exit status %d)", spec,
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The error a header carries. */
static int carried(const header *h, qb_error *err) {
    char msg[sizeof h->msg];
    snprintf(msg, sizeof msg, "%.*s", (int)sizeof msg - 1, h->msg);
    return h->status == QB_EINPUT ? qb_fail(err, "%s", msg) : qb_internal(err, "%s", msg);
}

int h5_read_matrix(const char *spec, matrix *out, unsigned *source_bits, qb_error *err) {
    *out = (matrix){0};
    h5io_quiet(); /* before the fork: the child inherits it */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return qb_internal(err, "cannot read '%s': %s", spec, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return qb_internal(err, "cannot read '%s': %s", spec, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child(spec, fds[1]);
    }
    close(fds[1]);
    char file[4096], path[1024];
    h5io_split_spec(spec, file, sizeof file, path, sizeof path);
    header h = {0, 0, 0, 0, ""};
    int s = QB_OK, reaped = 0;
    if (read_all(fds[0], &h, sizeof h) != sizeof h) {
        s = child_failed(pid, spec, err);
        reaped = 1;
    } else if (h.status) {
        s = carried(&h, err);
    } else if (!(s = check_memory(file, path, (size_t)h.rows, (size_t)h.cols, err))) {
        s = matrix_alloc(out, (size_t)h.rows, (size_t)h.cols, err);
    }
    for (uint64_t r = 0; !s && r < h.rows;) {
        header frame;
        if (read_all(fds[0], &frame, sizeof frame) != sizeof frame) {
            s = child_failed(pid, spec, err);
            reaped = 1;
        } else if (frame.status) {
            s = carried(&frame, err);
        } else if (frame.rows == 0 || frame.rows > h.rows - r) {
            s = qb_internal(err, "reading '%s': the reader sent %llu rows at row %llu", spec,
                            (unsigned long long)frame.rows, (unsigned long long)r);
        } else {
            size_t bytes = (size_t)frame.rows * out->cols * sizeof(float);
            if (read_all(fds[0], matrix_row(out, (size_t)r), bytes) != bytes) {
                s = child_failed(pid, spec, err);
                reaped = 1;
            }
            r += frame.rows;
        }
    }
    close(fds[0]);
    if (!reaped) {
        if (s)
            kill(pid, SIGKILL); /* it may be blocked writing rows nobody reads */
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    char what[5200];
    snprintf(what, sizeof what, "'%s:%s'", file, path);
    if (!s)
        s = matrix_check_finite(out, what, err);
    if (!s && source_bits)
        *source_bits = h.bits;
    if (s)
        matrix_free(out);
    return s;
}
