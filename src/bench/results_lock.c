/* results_lock.c - the directory lock (an open-file-description lock: it belongs to this open
 * file, so closing any other descriptor of the file cannot drop it) and the clean-up of what a
 * killed writer left. */
#include "results_lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "results.h"

#define LOCK_FILE ".qetbench-lock"

int results_lock_take(results_lock *lk, const char *dir, const char *command, qb_error *err) {
    lk->fd = -1;
    int s = results_mkdirs(dir, err);
    if (s)
        return s;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return qb_fail(err, "cannot open %s: %s", path, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            char holder[512] = "";
            ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
            holder[got > 0 ? got : 0] = 0;
            holder[strcspn(holder, "\n")] = 0;
            close(fd);
            return qb_fail(err,
                           "%s is in use by another qetbench (%s); wait for it to finish, or "
                           "use another directory",
                           dir, holder[0] ? holder : "its holder did not say who it is");
        }
        fprintf(stderr, "warning: cannot lock %s (%s): make sure no other run writes into it\n",
                dir, strerror(e));
    }
    char host[256] = "?", when[64] = "?", line[1024];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    int n = snprintf(line, sizeof line, "pid %ld on %s since %s: %s\n", (long)getpid(), host, when,
                     command);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
        fprintf(stderr, "warning: cannot write %s: %s\n", path, strerror(errno));
    lk->fd = fd;
    return QB_OK;
}

void results_lock_release(results_lock *lk) {
    if (lk->fd >= 0)
        close(lk->fd); /* drops the lock; the file stays for the next holder */
    lk->fd = -1;
}

void results_lock_discard(results_lock *lk, const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, LOCK_FILE);
    if (lk->fd >= 0)
        unlink(path); /* while still held: no other run can be waiting on this file */
    results_lock_release(lk);
}

/* The PID of a temporary's name (NAME.tmp.PID or NAME.tmp-PID), or 0 when it is not one. */
static long temporary_pid(const char *name) {
    const char *t = strstr(name, ".tmp");
    while (t) {
        if (t[4] == '.' || t[4] == '-') {
            char *end;
            long pid = strtol(t + 5, &end, 10);
            if (end != t + 5 && !*end && pid > 0)
                return pid;
        }
        t = strstr(t + 1, ".tmp");
    }
    return 0;
}

/* Removes the dead processes' temporaries in one folder; recurses `depth` levels. */
static size_t sweep_folder(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        long pid = temporary_pid(e->d_name);
        if (S_ISDIR(st.st_mode)) {
            if (depth > 0)
                removed += sweep_folder(path, depth - 1);
        } else if (S_ISREG(st.st_mode) && pid && pid != (long)getpid() &&
                   kill((pid_t)pid, 0) != 0 && errno == ESRCH && unlink(path) == 0) {
            removed++;
        }
    }
    closedir(d);
    return removed;
}

size_t results_remove_stale(const char *dir) {
    char figures[4200];
    snprintf(figures, sizeof figures, "%s/figures", dir);
    return sweep_folder(dir, 0) + sweep_folder(figures, 1);
}
