/* results_lock.h - one writer per results directory. A run, a merge or a repair holds an advisory
 * lock on DIR/.qetbench-lock from start to end; the file names the holder (pid, host, start time,
 * command), so a second writer is refused with who is in the way. With the lock held, the
 * temporaries a killed writer left behind are removed. */
#ifndef QB_RESULTS_LOCK_H
#define QB_RESULTS_LOCK_H

#include <stddef.h>

#include "error.h"

typedef struct {
    int fd; /* -1: not held */
} results_lock;

/* Creates DIR if needed and takes its lock; QB_EINPUT naming the holder when another process has
 * it. `command` describes this one for a later refusal ("qetbench run quick.lua"). Where the file
 * system has no locks, a warning on stderr, and the run goes on unguarded. */
int results_lock_take(results_lock *lk, const char *dir, const char *command, qb_error *err);
void results_lock_release(results_lock *lk);
/* Releases the lock and removes its file: for a run that wrote nothing else into DIR. */
void results_lock_discard(results_lock *lk, const char *dir);

/* Removes DIR's temporaries (NAME.tmp.PID, NAME.tmp-PID, also under DIR/figures/) whose process
 * is gone; call with the lock held. Returns how many. */
size_t results_remove_stale(const char *dir);

#endif
