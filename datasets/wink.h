/* wink.h - word vectors in the JSON layout of the wink-embeddings npm packages (GloVe vectors):
 * {"dimensions": d, "size": n, "l2NormIndex": d, "wordIndex": d+1, "words": [...],
 *  "vectors": {"word": [v_0 .. v_{d-1}, l2 norm, word index], ...}, ...}.
 * Streamed: the file is read once, byte by byte through a buffer, never held in memory. */
#ifndef QB_WINK_H
#define QB_WINK_H

#include <stddef.h>

#include "error.h"
#include "matrix.h"

typedef struct {
    size_t size;           /* words in the file ("size") */
    size_t dimensions;     /* vector length ("dimensions") */
    double max_norm_error; /* largest |stored l2 norm - computed norm| over the rows read */
} wink_info;

/* The first max_rows vectors (0: all) in file order, which is word-index order (checked). */
int wink_read(const char *path, size_t max_rows, matrix *out, wink_info *info, qb_error *err);

#endif
