/* save.h - writing a finished table of the report: refused (qb_oom) when the text is incomplete,
 * so no cut table is ever saved. */
#ifndef QB_SAVE_H
#define QB_SAVE_H

#include "error.h"
#include "text.h"

/* DIR/NAME from t, atomically. */
int report_save(const char *dir, const char *name, const text *t, qb_error *err);
/* ",TEXT" as a CSV field: a name never holds a comma or a quote there (';' and '\'' instead). */
void csv_text(text *csv, const char *s);

#endif
