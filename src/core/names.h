/* names.h - the names an experiment gives its results, data sets and methods: they become
 * directory and file names (results/<name>/, figures/<dataset>/) and CSV fields, so only letters,
 * digits and - _ + . = are allowed, and never "." or "..", which name directories. */
#ifndef QB_NAMES_H
#define QB_NAMES_H

/* NULL when `name` is safe; else why it is not ("is empty", ...), for a message. */
const char *name_problem(const char *name);

#endif
