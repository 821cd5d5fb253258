# embed.py - turns the gnuplot templates into a C header so the binary needs no installed files.
# usage: embed.py OUT.h TEMPLATE.gp...
import os
import sys

out = sys.argv[1]
with open(out, "w") as f:
    f.write("/* generated from the plots/ templates by plots/embed.py; do not edit */\n")
    for path in sys.argv[2:]:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as t:
            text = t.read()
        f.write("static const char plot_template_%s[] =\n" % name)
        for line in text.splitlines(True):
            esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            f.write('    "%s"\n' % esc)
        f.write(";\n")
