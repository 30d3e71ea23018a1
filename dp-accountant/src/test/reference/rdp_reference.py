#!/usr/bin/env python3
"""
Reference generator: Renyi DP of the Poisson-subsampled Gaussian mechanism
==========================================================================

WHAT IT COMPUTES
----------------
Mironov, Talwar, Zhang (2019), "Renyi Differential Privacy of the Sampled
Gaussian Mechanism".  With mu0 = N(0, s^2), mu1 = N(1, s^2) and
mu = (1-q) mu0 + q mu1 (sampling rate q, noise multiplier s = sigma):

    A_a    = E_{z~mu0}[ (mu(z)/mu0(z))^a ]
    RDP(a) = log(A_a) / (a - 1),            a > 1.

Special cases: q = 0 -> 0;  q = 1 -> a / (2 s^2) exactly.

HOW
---
All arithmetic is mpmath at mp.dps = 50 (q, sigma and alpha are the exact
binary doubles that Java sees, converted with mpmath.mpf(float)).

* Integral alpha (12..63 and also 2.0, 3.0, ..., 10.0 of the fractional grid):
  exact finite sum with only non-negative terms,
      A - 1 = sum_{i=2}^{a} C(a,i) (1-q)^(a-i) q^i expm1((i^2-i)/(2 s^2)),
      RDP   = log1p(A - 1) / (a - 1).
* Non-integral alpha: numerical integration (mpmath.quad, tanh-sinh),
  independently of the paper's series.  With X(z) = expm1((2z-1)/(2 s^2))
  (so mu1/mu0 = 1 + X and E_{mu0}[X] = 0):
      A - 1 = E_{mu0}[ (1 + qX)^a - 1 - a q X ]
  whose integrand is >= 0 (convexity), so there is no cancellation.  The
  integral is split at the sorted, de-duplicated points
      [-inf, -8s, 0, 1/2, z0, a-8s, a, a+8s, +inf],  z0 = s^2 log(1/q-1) + 1/2
  (z0 is the crossover q X = 1; the tail beyond z0 is a Gaussian bump
  centred near z = a of width s).  Because mpmath's quad error estimate is
  an ABSOLUTE heuristic, the integrand is divided by a scale
  S ~ A_a - 1 (log-linear interpolation of the exact integer values at
  floor(a), ceil(a)), so the estimate is effectively relative.  A result is
  accepted only if err/value < 1e-30; otherwise the integral is redone
  with split points every s/2 and a larger maxdegree (and the script aborts
  if that does not converge either).

CROSS-CHECKS (run first; the script exits non-zero if any fails)
-----------------------------------------------------------------
 (a) quad (same code path as for the grid) vs the exact integer formula,
     at alpha in {2,3,4,6,10,12,20,40,63} for every (q, sigma) with
     0 < q < 1 of the grid: max relative disagreement in RDP must be <= 1e-15.
 (b) quad vs the paper's fractional series (Sec. 3.3), evaluated at
     mp.dps = 60 for a handful of (q, sigma, alpha), incl. q=0.1, s=0.5,
     a=1.1.  NOTE: the terms of that series only decay POLYNOMIALLY
     (~ i^(-a-2), alternating in sign for i > a+1; e.g. for q=0.1, s=0.5,
     a=1.1 the term at i=1000 is still ~2e-12), so "sum until terms are
     below 1e-45" is not feasible by brute force.  The script sums the
     first N0 = max(ceil(a), ceil(z0)) + 60 terms directly and the
     alternating tail with two different convergence accelerators
     (mpmath.nsum method='alternating' [Cohen-Villegas-Zagier] and
     method='levin'); the two must agree to 1e-35 relative, and the series
     must agree with quad to <= 1e-15 relative in RDP.
 (c) for a subset of grid points (alpha in {1.1, 1.5, 2.5, 5.5, 10.9} for
     every (q, sigma)), the grid value is recomputed with Gauss-Legendre
     on a truncated range [-40s, a+40s] cut into panels of width <= s
     (different rule, different split points); must agree to 1e-15.
 The observed disagreements are printed.  Last run: (a) 9.9e-51,
 (b) 2.8e-51, (c) 1.4e-47; largest quad error estimate 2.0e-50 relative;
 no integral needed the refinement fallback.

GRIDS
-----
 orders : 1 + x/10.0 for x = 1..99 (Python floats), then 12, 13, ..., 63 (151)
 q      : 0.001 0.004 0.01 0.04 0.1 0.25 0.5 0.75 0.99 1.0
 sigma  : 0.5 0.7 1.0 1.5 2.3 4.0
 plus the TF-Privacy MNIST tutorial point q = 256/60000, sigma = 1.1.

OUTPUTS (in ../resources/reference/ relative to this file, or --outdir)
-----------------------------------------------------------------------
 rdp-reference.tsv      '#' comment line, header 'q sigma alpha rdp' (TAB
                        separated), one row per (q, sigma, alpha): the 60 grid
                        (q, sigma) pairs, then the extra (256/60000, 1.1).
                        q, sigma, alpha are repr(float); rdp has 30
                        significant digits (mpmath.nstr(x, 30)).
 epsilon-reference.tsv  '#' comment line, header
                        'q sigma steps delta conversion epsilon order'; for
                        every grid (q, sigma), steps T in {1, 10, 100, 1000,
                        10000, 100000}, delta in {1e-5, 1e-6}:
                          improved (Balle et al. 2020, Thm 21):
                            eps = min_a T rdp(a) + log((a-1)/a)
                                        - (log(delta) + log(a))/(a-1)
                          classic:
                            eps = min_a T rdp(a) - log(delta)/(a-1)
                        computed from the unrounded rdp values (not clamped
                        at 0; the first minimising order wins ties); order is
                        repr(float) of the minimising alpha.  The last three
                        rows are extras:
                          q=0.04,      s=1.5, T=2250,  delta=1e-5, improved
                          q=256/60000, s=1.1, T=14063, delta=1e-5, classic
                          q=256/60000, s=1.1, T=235,   delta=1e-5, classic

RERUN
-----
    python3 rdp_reference.py [--outdir DIR] > /tmp/rdp_reference.log 2>&1

 Needs only python3 + mpmath (tested with mpmath 1.3.0), single process.
 Progress and cross-check figures go to stdout.  Runtime: about 12-13
 minutes on one (shared) core (measured 733 s: ~60 s cross-checks (a)+(b),
 ~645 s grid, ~30 s check (c)); almost all of it is the 5448 quad
 integrations (~0.13 s each).  Output is deterministic.
"""

import argparse
import math
import os
import sys
import time

import mpmath
from mpmath import mp, mpf

DPS = 50
SERIES_DPS = 60
QUAD_REL_TOL = mpf(10) ** -30     # accept quad result if err/value below this
CHECK_TOL = 1e-15                 # cross-check tolerance (relative, in RDP)

ORDERS = [1 + x / 10.0 for x in range(1, 100)] + [float(i) for i in range(12, 64)]
QS = [0.001, 0.004, 0.01, 0.04, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0]
SIGMAS = [0.5, 0.7, 1.0, 1.5, 2.3, 4.0]
STEPS = [1, 10, 100, 1000, 10000, 100000]
DELTAS = [1e-5, 1e-6]
MNIST_Q = 256 / 60000
MNIST_SIGMA = 1.1
EXTRA_PAIRS = [(MNIST_Q, MNIST_SIGMA)]
EXTRA_EPS = [
    (0.04, 1.5, 2250, 1e-5, "improved"),
    (MNIST_Q, MNIST_SIGMA, 14063, 1e-5, "classic"),
    (MNIST_Q, MNIST_SIGMA, 235, 1e-5, "classic"),
]

STATS = {"quad": 0, "refined": 0, "max_quad_relerr": mpf(0), "quad_time": 0.0}


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------
# Integer orders: exact finite sum
# --------------------------------------------------------------------------
def a_minus_1_int(q, s, a):
    """A_a - 1 for integer a >= 1, exact sum of non-negative terms."""
    q, s = mpf(q), mpf(s)
    a = int(a)
    t2 = 2 * s * s
    tot = mpf(0)
    for i in range(2, a + 1):
        tot += (mpmath.binomial(a, i) * (1 - q) ** (a - i) * q ** i
                * mpmath.expm1(mpf(i * i - i) / t2))
    return tot


# --------------------------------------------------------------------------
# Fractional orders: numerical integration
# --------------------------------------------------------------------------
def _integrand(q, s, a, scale):
    c = 1 / (mpmath.sqrt(2 * mp.pi) * s * scale)
    t2 = 2 * s * s

    def f(z):
        qx = q * mpmath.expm1((2 * z - 1) / t2)
        return c * mpmath.exp(-z * z / t2) * ((1 + qx) ** a - 1 - a * qx)
    return f


def _scale(q, s, a):
    """Rough size of A_a - 1 (log-linear interpolation of exact integer values)."""
    n = int(mpmath.floor(a))
    hi = a_minus_1_int(q, s, n + 1)
    if n <= 1:
        return hi
    lo = a_minus_1_int(q, s, n)
    f = a - n
    return mpmath.exp((1 - f) * mpmath.log(lo) + f * mpmath.log(hi))


def a_minus_1_quad(q, s, a):
    """A_a - 1 by tanh-sinh quadrature (q, s, a are mpf; 0 < q < 1)."""
    t0 = time.time()
    scale = _scale(q, s, a)
    f = _integrand(q, s, a, scale)
    z0 = s * s * mpmath.log(1 / q - 1) + mpf(1) / 2
    pts = sorted(set([-8 * s, mpf(0), mpf(1) / 2, z0, a - 8 * s, a, a + 8 * s]))
    pts = [-mp.inf] + pts + [mp.inf]
    val, err = mpmath.quad(f, pts, error=True)
    rel = err / val
    if not (val > 0 and rel < QUAD_REL_TOL):
        STATS["refined"] += 1
        lo = min(-8 * s, z0)
        hi = a + 8 * s
        n = int(mpmath.ceil((hi - lo) / (s / 2)))
        fine = [lo + (hi - lo) * k / n for k in range(n + 1)]
        pts = [-mp.inf] + sorted(set(fine + [mpf(0), mpf(1) / 2, z0, a])) + [mp.inf]
        val, err = mpmath.quad(f, pts, error=True, maxdegree=10)
        rel = err / val
        if not (val > 0 and rel < QUAD_REL_TOL):
            raise RuntimeError("quad did not converge for q=%s s=%s a=%s: val=%s rel.err=%s"
                               % (q, s, a, val, rel))
    STATS["quad"] += 1
    STATS["max_quad_relerr"] = max(STATS["max_quad_relerr"], rel)
    STATS["quad_time"] += time.time() - t0
    return val * scale


def a_minus_1_gl(q, s, a):
    """Independent check: Gauss-Legendre on [-40s, a+40s], panels of width <= s."""
    scale = _scale(q, s, a)
    f = _integrand(q, s, a, scale)
    lo, hi = -40 * s, a + 40 * s
    n = int(mpmath.ceil((hi - lo) / s))
    pts = [lo + (hi - lo) * k / n for k in range(n + 1)]
    val = mpmath.quad(f, pts, method="gauss-legendre")
    return val * scale


# --------------------------------------------------------------------------
# Paper's fractional series (cross-check only)
# --------------------------------------------------------------------------
def a_series(q, s, a):
    """A_a (not minus 1) from MTZ19 Sec. 3.3; returns (A, A_alt, A_levin_diff)."""
    with mp.workdps(SERIES_DPS):
        q, s, a = mpf(q), mpf(s), mpf(a)
        z0 = s * s * mpmath.log(1 / q - 1) + mpf(1) / 2
        r2s = mpmath.sqrt(2) * s
        t2 = 2 * s * s
        lq, l1q = mpmath.log(q), mpmath.log1p(-q)

        def term(i):
            i = mpf(i)
            b = mpmath.binomial(a, i)
            j = a - i
            x0 = b * mpmath.exp(i * lq + (a - i) * l1q + (i * i - i) / t2) \
                * mpmath.erfc((i - z0) / r2s) / 2
            x1 = b * mpmath.exp(j * lq + i * l1q + (j * j - j) / t2) \
                * mpmath.erfc((z0 - j) / r2s) / 2
            return x0 + x1

        n0 = int(max(mpmath.ceil(a), mpmath.ceil(z0), 0)) + 60
        head = mpmath.fsum(term(i) for i in range(n0))
        tail_alt = mpmath.nsum(term, [n0, mp.inf], method="alternating")
        tail_lev = mpmath.nsum(term, [n0, mp.inf], method="levin")
        return head + tail_alt, head + tail_lev, term(n0)


# --------------------------------------------------------------------------
# RDP
# --------------------------------------------------------------------------
def rdp(qf, sf, af):
    """RDP at order af for (qf, sf); arguments are Python floats."""
    q, s, a = mpf(qf), mpf(sf), mpf(af)
    if qf == 0:
        return mpf(0)
    if qf == 1:
        return a / (2 * s * s)
    if float(af).is_integer():
        am1 = a_minus_1_int(q, s, int(af))
    else:
        am1 = a_minus_1_quad(q, s, a)
    return mpmath.log1p(am1) / (a - 1)


def rel(x, y):
    return abs(x - y) / abs(y)


def cross_checks():
    ok = True
    log("== cross-check (a): quad vs exact integer formula ==")
    worst = (mpf(0), None)
    for qf in QS:
        if qf in (0.0, 1.0):
            continue
        for sf in SIGMAS:
            for ai in (2, 3, 4, 6, 10, 12, 20, 40, 63):
                q, s, a = mpf(qf), mpf(sf), mpf(ai)
                rq = mpmath.log1p(a_minus_1_quad(q, s, a)) / (a - 1)
                re = mpmath.log1p(a_minus_1_int(q, s, ai)) / (a - 1)
                d = rel(rq, re)
                if d > worst[0] or worst[1] is None:
                    worst = (d, (qf, sf, ai))
    log("  max rel. diff in RDP = %s at (q, sigma, alpha) = %s"
        % (mpmath.nstr(worst[0], 3), worst[1]))
    if worst[0] > CHECK_TOL:
        log("  FAILED")
        ok = False

    log("== cross-check (b): quad vs MTZ19 fractional series ==")
    pts = [(0.1, 0.5, 1.1), (0.001, 4.0, 1.1), (0.01, 1.0, 5.5), (0.5, 2.3, 3.5),
           (0.99, 0.7, 10.9), (0.004, 1.5, 2.3), (0.75, 4.0, 1.5),
           (MNIST_Q, MNIST_SIGMA, 7.5), (0.04, 1.5, 6.7), (0.25, 0.5, 9.9),
           (0.001, 0.5, 10.9), (0.1, 2.3, 1.9)]
    worst = mpf(0)
    for (qf, sf, af) in pts:
        q, s, a = mpf(qf), mpf(sf), mpf(af)
        rq = mpmath.log1p(a_minus_1_quad(q, s, a)) / (a - 1)
        a_alt, a_lev, last = a_series(qf, sf, af)
        with mp.workdps(SERIES_DPS):
            acc = rel(a_alt - 1, a_lev - 1)
            rs = mpmath.log(a_alt) / (a - 1)
        d = rel(rq, rs)
        worst = max(worst, d)
        log("  q=%r sigma=%r alpha=%r  rdp=%s  |quad-series|/rdp=%s  "
            "(accelerators agree to %s; last direct term %s)"
            % (qf, sf, af, mpmath.nstr(rq, 20), mpmath.nstr(d, 3),
               mpmath.nstr(acc, 3), mpmath.nstr(last, 3)))
        if acc > mpf(10) ** -35 or d > CHECK_TOL:
            log("  FAILED")
            ok = False
    log("  max rel. diff in RDP quad vs series = %s" % mpmath.nstr(worst, 3))
    return ok


def gl_check(table):
    log("== cross-check (c): grid values vs Gauss-Legendre (other splits) ==")
    worst = (mpf(0), None)
    for (qf, sf), vec in table.items():
        if qf in (0.0, 1.0):
            continue
        for af in (1.1, 1.5, 2.5, 5.5, 10.9):
            a = mpf(af)
            r = mpmath.log1p(a_minus_1_gl(mpf(qf), mpf(sf), a)) / (a - 1)
            d = rel(vec[ORDERS.index(af)], r)
            if d > worst[0] or worst[1] is None:
                worst = (d, (qf, sf, af))
    log("  max rel. diff in RDP = %s at %s" % (mpmath.nstr(worst[0], 3), worst[1]))
    return worst[0] <= CHECK_TOL


# --------------------------------------------------------------------------
# epsilon conversion
# --------------------------------------------------------------------------
def epsilon(vec, steps, deltaf, conversion):
    T = mpf(steps)
    ld = mpmath.log(mpf(deltaf))
    best, best_a = None, None
    for af, r in zip(ORDERS, vec):
        a = mpf(af)
        if conversion == "improved":
            e = T * r + mpmath.log((a - 1) / a) - (ld + mpmath.log(a)) / (a - 1)
        elif conversion == "classic":
            e = T * r - ld / (a - 1)
        else:
            raise ValueError(conversion)
        if best is None or e < best:
            best, best_a = e, af
    return best, best_a


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--outdir", default=os.path.join(here, "..", "resources", "reference"))
    args = ap.parse_args()
    mp.dps = DPS
    t_start = time.time()
    log("mpmath %s, dps=%d, %d orders" % (mpmath.__version__, mp.dps, len(ORDERS)))

    if not cross_checks():
        log("CROSS-CHECK FAILED")
        sys.exit(1)
    log("cross-checks (a), (b) passed after %.0f s" % (time.time() - t_start))

    pairs = [(q, s) for q in QS for s in SIGMAS] + EXTRA_PAIRS
    table = {}
    for k, (qf, sf) in enumerate(pairs):
        t0 = time.time()
        table[(qf, sf)] = [rdp(qf, sf, af) for af in ORDERS]
        log("[%2d/%d] q=%r sigma=%r done in %.1f s (total %.0f s, quad max rel.err %s, refined %d)"
            % (k + 1, len(pairs), qf, sf, time.time() - t0, time.time() - t_start,
               mpmath.nstr(STATS["max_quad_relerr"], 3), STATS["refined"]))

    if not gl_check(table):
        log("CROSS-CHECK (c) FAILED")
        sys.exit(1)

    os.makedirs(args.outdir, exist_ok=True)
    rdp_path = os.path.join(args.outdir, "rdp-reference.tsv")
    n_rdp = 0
    with open(rdp_path, "w") as fh:
        fh.write("# RDP of the Poisson-subsampled Gaussian mechanism (Mironov-Talwar-Zhang 2019), "
                 "mpmath %s dps=%d: integer alpha exact sum, fractional alpha mpmath.quad of "
                 "E_mu0[(1+qX)^a-1-aqX]; generated by src/test/reference/rdp_reference.py; "
                 "q,sigma,alpha are exact doubles; rdp to 30 significant digits\n"
                 % (mpmath.__version__, DPS))
        fh.write("q\tsigma\talpha\trdp\n")
        for (qf, sf) in pairs:
            for af, r in zip(ORDERS, table[(qf, sf)]):
                fh.write("%r\t%r\t%r\t%s\n" % (qf, sf, af, mpmath.nstr(r, 30)))
                n_rdp += 1

    eps_path = os.path.join(args.outdir, "epsilon-reference.tsv")
    n_eps = 0
    rows = [(qf, sf, T, d, c) for (qf, sf) in [(q, s) for q in QS for s in SIGMAS]
            for T in STEPS for d in DELTAS for c in ("improved", "classic")] + EXTRA_EPS
    with open(eps_path, "w") as fh:
        fh.write("# (epsilon, delta) of T compositions of the Poisson-subsampled Gaussian via RDP "
                 "over the 151 default orders; improved = Balle et al. 2020 Thm 21, classic = "
                 "T*rdp - log(delta)/(a-1); min over orders, not clamped; from unrounded "
                 "mpmath rdp (rdp_reference.py); last 3 rows are extra cases "
                 "(q=0.04 s=1.5 T=2250; TF-Privacy MNIST q=256/60000 s=1.1 T=14063 and T=235)\n")
        fh.write("q\tsigma\tsteps\tdelta\tconversion\tepsilon\torder\n")
        for (qf, sf, T, d, c) in rows:
            e, a = epsilon(table[(qf, sf)], T, d, c)
            fh.write("%r\t%r\t%d\t%r\t%s\t%s\t%r\n" % (qf, sf, T, d, c, mpmath.nstr(e, 30), a))
            n_eps += 1
    for (qf, sf, T, d, c) in EXTRA_EPS:
        e, a = epsilon(table[(qf, sf)], T, d, c)
        log("extra: q=%r sigma=%r T=%d delta=%r %s -> epsilon=%s at order %r"
            % (qf, sf, T, d, c, mpmath.nstr(e, 20), a))

    log("quad integrations: %d (refined: %d), max quad rel. error estimate %s, quad time %.0f s"
        % (STATS["quad"], STATS["refined"], mpmath.nstr(STATS["max_quad_relerr"], 3),
           STATS["quad_time"]))
    log("wrote %s (%d data rows)" % (rdp_path, n_rdp))
    log("wrote %s (%d data rows)" % (eps_path, n_eps))
    log("total runtime %.0f s" % (time.time() - t_start))


if __name__ == "__main__":
    main()
