/* versions.h - the library versions and source revision every results row records. */
#ifndef QB_VERSIONS_H
#define QB_VERSIONS_H

/* "qetbench X; HDF5 X; GSL X; Lua X; OpenBLAS ..." */
const char *qb_versions(void);
/* The git revision the binary was built from ("unknown" outside a git tree). */
const char *qb_revision(void);

#endif
