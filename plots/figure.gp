# figure.gp - template of one metric-against-compression-ratio figure; `qetbench plot` fills the
# @FIELDS@ and writes one script per figure beside its data file, then runs them all in gnuplot.
reset
set terminal @PNG_TERMINAL@ size 960,640
set output '@NAME@.png'
set title "@TITLE@" noenhanced
set xlabel "compression ratio (original bits / stored bits, achieved; mean over seeds)"
set ylabel "@YLABEL@ (geometric mean over seeds, 95% interval on the log scale)" noenhanced
set logscale x 2
set logscale y
set format y "%g"
set grid
# the key outside the graph, so it never covers a curve
set key outside right top vertical box noenhanced Left reverse samplen 2
set bars small
# twelve distinguishable colours (gnuplot's own cycle repeats after eight, and sweeps draw more)
colours = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000080 #808000"
do for [i=1:12] { set linetype i lc rgb word(colours, i) pt i }
set linetype cycle 12
@EXTRA@
plot @CURVES@
set terminal svg size 960,640 dynamic
set output '@NAME@.svg'
replot
unset output
