# downstream.gp - template of a downstream figure of one dataset: a metric (recall, KL, ...)
# against the compression ratio, a curve per method; or MSE against the metric, a point per cell.
# Filled by `qetbench plot` like figure.gp.
reset
set terminal @PNG_TERMINAL@ size 960,640
set output '@NAME@.png'
set title "@TITLE@" noenhanced
set xlabel "@XLABEL@" noenhanced
set ylabel "@YLABEL@" noenhanced
@AXES@
set format y "%g"
set grid
# the key outside the graph, so it never covers a curve
set key outside right top vertical box noenhanced Left reverse samplen 2
set bars small
colours = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000080 #808000"
do for [i=1:12] { set linetype i lc rgb word(colours, i) pt i }
set linetype cycle 12
plot @CURVES@
set terminal svg size 960,640 dynamic
set output '@NAME@.svg'
replot
unset output
