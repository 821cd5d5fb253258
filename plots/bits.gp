# bits.gp - template of the MSE-against-stored-bits figure of one dataset: a curve per method (its
# best m at each ratio), and Shannon's bound where the data are Gaussian; filled by
# `qetbench plot` like figure.gp.
reset
set terminal @PNG_TERMINAL@ size 960,640
set output '@NAME@.png'
set title "@TITLE@" noenhanced
set xlabel "stored bits per element (bits charged / (n d); mean over seeds)"
set ylabel "MSE (geometric mean over seeds, 95% interval on the log scale)" noenhanced
set logscale y
set format y "%g"
set grid
# the key outside the graph, so it never covers a curve
set key outside right top vertical box noenhanced Left reverse samplen 2 font ",8"
set bars small
@EXTRA@
plot @CURVES@
set terminal svg size 960,640 dynamic
set output '@NAME@.svg'
replot
unset output
