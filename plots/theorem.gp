# theorem.gp - the variance theorem's two figures from `qetbench theorem --out DIR`'s CSVs:
# the density of max(X1, X2) against the normal, and the average variance fraction against l.
# usage: gnuplot -e "dir='DIR'" plots/theorem.gp   (writes DIR/theorem_density.{png,svg} and
#        DIR/theorem_fraction.{png,svg}; Debian's gnuplot-nox has the pngcairo and svg terminals)
if (!exists("dir")) dir = "."
set datafile separator ","
set key top left box opaque
set grid

density = dir."/theorem_density.csv"
fraction = dir."/theorem_fraction.csv"
dists = "normal truncnormal t3"
label(d) = d eq "normal" ? "normal" : d eq "truncnormal" ? "truncated normal (0.5, 0.16, [0,1])" : \
           "Student t, 3 df"

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 900,600 enhanced font ",11" } \
    else { set terminal svg size 900,600 enhanced font ",11" dynamic }

    set output dir."/theorem_density.".fmt
    set title "Density of max(X_1, X_2) and min(X_1, X_2), X_i iid N(0, 1)"
    set xlabel "x"
    set ylabel "density"
    set key top right
    set xrange [-4:4]
    set yrange [0:0.75]
    plot density using 1:2 skip 1 with lines lw 2 lc rgb "#444444" title "N(0, 1)", \
         density using 1:3 skip 1 with lines lw 2 lc rgb "#c0392b" \
             title "max: 2 {/Symbol f}(x) {/Symbol F}(x)  (Var = 1 - 1/{/Symbol p} = 0.682)", \
         density using 1:4 skip 1 with lines lw 2 dt 2 lc rgb "#2471a3" title "min: 2 {/Symbol f}(x) (1 - {/Symbol F}(x))", \
         density using 1:5 skip 1 every 3 with points pt 7 ps 0.6 lc rgb "#c0392b" title "max, Monte Carlo histogram"

    set output dir."/theorem_fraction.".fmt
    set title "Average variance fraction of the 2^l blocks after l QET levels"
    set xlabel "levels l"
    set ylabel "mean_b Var(block b) / Var(X)"
    set key top right
    set xrange [-0.2:4.2]
    set xtics 1
    set yrange [0:1.05]
    plot for [i=1:words(dists)] fraction using 2:(strcol(1) eq word(dists, i) ? $3 : NaN) skip 1 \
             with lines lw 2 lc i title label(word(dists, i))." (quadrature)", \
         for [i=1:words(dists)] fraction \
             using 2:(strcol(1) eq word(dists, i) ? $4 : NaN):6:7 skip 1 \
             with yerrorbars pt 7 ps 0.8 lc i title label(word(dists, i))." (Monte Carlo, 95%)"
    unset output
}
