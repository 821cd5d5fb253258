/* qet_reorder.h - Quantum Entanglement Trees (paper §3, DESIGN §2): the per-row reordering with
 * indicator maps and its inverse, the numerics under the `qet` quantizer (qet.h).
 *
 *
 * Reorder, level 1: pairs (0,1), (2,3), ... of a row; the smaller value goes to the left half S,
 * the larger to the right half L; the bit is 1 when the pair was swapped (left > right; ties are
 * not swapped). Level k+1 applies the same step inside each of the 2^k blocks of level k, so after
 * l levels a row is 2^l blocks of d / 2^l columns, block 0 the min of mins. Each level stores d/2
 * bits per row: l * d / 2 in all.
 *
 * Variants (qet_order; the paper's is blocks + adjacent, and the indicator bits are the same count
 * and numbering in every variant):
 *   pairing window w: at level k every block of d / 2^k columns is cut into windows of
 *     w_k = min(w, d / 2^k) columns and pair p of a window is (p, p + w_k / 2); its min goes to
 *     position p of the window's run in S, its max to the same position in L. w = 2 is the paper's
 *     adjacent pairing; a larger w ("strided") keeps neighbouring columns in the same half, so
 *     correlated neighbours are not split across subspaces. w_k must divide d / 2^k.
 *   layout inplace: the blocks result viewed as a (2^l, d / 2^l) matrix is transposed, so column
 *     j * 2^l + b holds block b's j-th value: the 2^l values a source group turns into sit side
 *     by side (with adjacent pairing, in the group's own columns) and a subspace holds whole
 *     groups. */
#ifndef QB_QET_REORDER_H
#define QB_QET_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "matrix.h"

typedef enum { QET_LAYOUT_BLOCKS = 0, QET_LAYOUT_INPLACE = 1 } qet_layout;
typedef enum { QET_PAIRING_ADJACENT = 0, QET_PAIRING_STRIDED = 1 } qet_pairing;

typedef struct {
    unsigned levels;
    qet_layout layout;
    size_t window; /* pairing window w (even); 2 = adjacent */
} qet_order;

/* The paper's order: blocks layout, adjacent pairs. */
qet_order qet_order_paper(unsigned levels);

const char *qet_layout_name(qet_layout layout);
int qet_layout_parse(const char *name, qet_layout *out); /* 0 ok, -1 unknown */
const char *qet_pairing_name(qet_pairing pairing);
int qet_pairing_parse(const char *name, qet_pairing *out); /* 0 ok, -1 unknown */

/* QB_EINPUT unless 2^levels divides d (the message names the valid levels). */
int qet_check_levels(size_t d, unsigned levels, qb_error *err);
/* qet_check_levels, and the window is even and each level's window divides its blocks. */
int qet_check_order(size_t d, const qet_order *o, qb_error *err);
/* Bytes of the packed indicator maps of n rows: ceil(n * levels * d / 2 / 8). */
size_t qet_imap_bytes(size_t n, size_t d, unsigned levels);

/* out: (n, d) reordered rows; imap: qet_imap_bytes bytes, bit (row * levels + level) * d/2 + pair.
 * The fast path is row-blocked, branch-free and parallel over rows; the reference is the plain
 * recursion it is tested against, bit for bit. Each returns QB_OK, or qb_oom when its scratch
 * (d floats per thread) cannot be allocated; out and imap are then incomplete. */
int qet_reorder(const float *x, size_t n, size_t d, unsigned levels, float *out, uint8_t *imap,
                qb_error *err);
int qet_reorder_reference(const float *x, size_t n, size_t d, unsigned levels, float *out,
                          uint8_t *imap, qb_error *err);
/* Undoes qet_reorder exactly: out == x bit for bit, whatever the values (ties, -0.0, subnormals).
 * out may be xr (in place); qet_reorder's out must not alias x. */
int qet_inverse(const float *xr, size_t n, size_t d, unsigned levels, const uint8_t *imap,
                float *out, qb_error *err);
/* The same for any order (checked by qet_check_order first); the three above are the paper's. */
int qet_reorder_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                     uint8_t *imap, qb_error *err);
int qet_reorder_reference_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                               uint8_t *imap, qb_error *err);
int qet_inverse_with(const float *xr, size_t n, size_t d, const qet_order *o, const uint8_t *imap,
                     float *out, qb_error *err);

#endif
