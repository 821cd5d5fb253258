#!/usr/bin/env python3
"""registry.py OUT NAME... - writes the registry of methods (registry.c) for the names given, in
that order: each NAME's descriptor is `NAME_method`, defined in the method's own file."""
import sys

out, names = sys.argv[1], sys.argv[2:]
with open(out, 'w') as f:
    f.write('/* registry.c - generated from the `methods` list in baselines/meson.build: the methods\n'
            ' * built in, in that order. */\n#include "quantizer.h"\n\n')
    for n in names:
        f.write('extern const quantizer_ops %s_method;\n' % n)
    f.write('\nconst quantizer_ops *const qb_registry[] = {%s};\n'
            % ', '.join('&%s_method' % n for n in names))
    f.write('const size_t qb_registry_size = sizeof qb_registry / sizeof *qb_registry;\n')
