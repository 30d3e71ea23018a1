"""Writes ../resources/reference/log-erfc.tsv: log(erfc(x)) at 40 significant digits with mpmath, for the
Java LogMath tests. Run from this folder: python3 log_erfc_reference.py (needs mpmath; takes a second)."""
import mpmath as mp

mp.mp.dps = 40
XS = [-30, -10, -5, -2.5, -1, -0.5, -0.46875, -0.3, -1e-8, 0.0, 1e-10, 0.1, 0.46875, 0.46876, 0.5, 1, 2,
      3.5, 4.0, 4.0000001, 5, 8, 12.25, 20, 26, 26.6, 27, 30, 50, 100, 333.3, 1000, 4321.5, 1e5, 1e7, 1e8]

with open('../resources/reference/log-erfc.tsv', 'w') as f:
    f.write('# log(erfc(x)) at 40 digits, mpmath %s; regenerate with '
            'dp-accountant/src/test/reference/log_erfc_reference.py\n' % mp.__version__)
    f.write('x\tlog_erfc\n')
    for x in XS:
        f.write('%r\t%s\n' % (float(x), mp.nstr(mp.log(mp.erfc(mp.mpf(x))), 30)))
