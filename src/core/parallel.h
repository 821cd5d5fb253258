/* parallel.h - when a loop is worth an OpenMP team. Forking and joining threads costs tens of
 * microseconds (far more when the machine is busy and idle threads spin); below about 10^5
 * element operations a single thread finishes first. Splits never change results: every parallel
 * loop here works on fixed blocks whose results are combined in a fixed order. */
#ifndef QB_PARALLEL_H
#define QB_PARALLEL_H

#include <stddef.h>

#define PAR_MIN_WORK ((size_t)1 << 17)

static inline int par_worth(size_t work) {
    return work >= PAR_MIN_WORK;
}

#endif
