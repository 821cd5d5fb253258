#!/usr/bin/env python3
"""check_layers.py ROOT - the include graph of src/, baselines/ and datasets/ has no cycle, and no
file includes a header of a layer above its own (the build's include directories enforce the
second too; this names the offending line). Modules are file stems: x.c and x.h are one node."""
import os
import re
import sys

# Each folder's layer; a file may include headers of its own layer and of the layers it lists.
LAYERS = {
    'src/core': ('core', {'core'}),
    'datasets': ('data', {'core', 'data'}),
    'src/methods': ('methods', {'core', 'methods'}),
    'baselines': ('methods', {'core', 'methods'}),
    'src/bench': ('bench', {'core', 'data', 'methods', 'bench'}),
    'src/report': ('report', {'core', 'methods', 'bench', 'report'}),
    'src/cli': ('cli', {'core', 'data', 'methods', 'bench', 'report', 'cli'}),
}
GENERATED = {'revision': 'core', 'plot_templates': 'report', 'method_list': 'methods'}


def main(root):
    layer_of, edges, where = dict(GENERATED), {}, {}
    for folder, (layer, _) in LAYERS.items():
        for name in sorted(os.listdir(os.path.join(root, folder))):
            stem, ext = os.path.splitext(name)
            if ext in ('.c', '.h'):
                layer_of[stem] = layer
                where.setdefault(stem, folder)
    problems = []
    for folder, (layer, allowed) in LAYERS.items():
        for name in sorted(os.listdir(os.path.join(root, folder))):
            stem, ext = os.path.splitext(name)
            if ext not in ('.c', '.h'):
                continue
            path = os.path.join(folder, name)
            for no, line in enumerate(open(os.path.join(root, path), encoding='utf-8'), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
                if not m:
                    continue
                dep = os.path.basename(m.group(1))
                if dep not in layer_of:
                    problems.append(f'{path}:{no}: includes unknown header {dep}.h')
                    continue
                if layer_of[dep] not in allowed:
                    problems.append(f'{path}:{no}: {layer} includes {dep}.h of layer {layer_of[dep]}')
                if dep != stem:
                    edges.setdefault(stem, set()).add(dep)
    # cycles: depth-first search with colours
    colour, stack = {}, []

    def visit(v):
        colour[v] = 1
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if colour.get(w) == 1:
                cycle = stack[stack.index(w):] + [w]
                problems.append('include cycle: ' + ' -> '.join(cycle))
            elif not colour.get(w):
                visit(w)
        stack.pop()
        colour[v] = 2

    for v in sorted(edges):
        if not colour.get(v):
            visit(v)
    n_edges = sum(len(e) for e in edges.values())
    for p in problems:
        print(p)
    print(f'{len(layer_of)} modules, {n_edges} include edges, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
