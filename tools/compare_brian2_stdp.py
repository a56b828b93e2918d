#!/usr/bin/env python3
"""Plasticity against Brian2 2.9.0's C++ standalone mode, measured in one run on this machine:

1. Song, Miller & Abbott (2000) — Brian2's examples/synapses/STDP.py as published (1000 Poisson
   inputs at 15 Hz, additive STDP onto one LIF neuron, 100 s) versus scenes/stdp_song.ron: both
   final weight histograms, the fractions below 0.1 g_max and above 0.9 g_max (Brian2 reference:
   about 0.23 and 0.19), the postsynaptic rate, and the time of each simulation.
2. CUBA + STDP (scenes/cuba_stdp.ron: additive pair STDP on E->E) for 1 s: time.

Times: Brian2's simulation loop (compilation excluded) against our whole `neuroplast run`
process; goal (issue 4): ours at most half.

    python3 tools/compare_brian2_stdp.py [--song-seconds 100]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_brian2()


def standalone(directory):
    import brian2 as b2

    b2.device.reinit()
    b2.device.activate()
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)


def finish(directory):
    import brian2 as b2

    # Compiles, then runs the binary; the loop time comes from Brian2's own run-info file.
    b2.device.build(directory=directory, compile=True, run=True, with_output=False)
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        return float(f.read().split()[0])


def brian2_song(seconds, directory):
    import brian2 as b2
    import numpy as np

    standalone(directory)
    b2.seed(1)
    N, taum, taupre, taupost = 1000, 10 * b2.ms, 20 * b2.ms, 20 * b2.ms
    Ee, vt, vr, El, taue, F = 0 * b2.mV, -54 * b2.mV, -60 * b2.mV, -74 * b2.mV, 5 * b2.ms, 15 * b2.Hz
    gmax, dApre = 0.01, 0.01
    dApost = -dApre * taupre / taupost * 1.05
    dApost *= gmax
    dApre *= gmax
    eqs = """dv/dt = (ge * (Ee-v) + El - v) / taum : volt
             dge/dt = -ge / taue : 1"""
    inputs = b2.PoissonGroup(N, rates=F)
    neurons = b2.NeuronGroup(1, eqs, threshold="v>vt", reset="v = vr", method="euler")
    S = b2.Synapses(inputs, neurons,
                    """w : 1
                       dApre/dt = -Apre / taupre : 1 (event-driven)
                       dApost/dt = -Apost / taupost : 1 (event-driven)""",
                    on_pre="""ge += w
                              Apre += dApre
                              w = clip(w + Apost, 0, gmax)""",
                    on_post="""Apost += dApost
                               w = clip(w + Apre, 0, gmax)""")
    S.connect()
    S.w = "rand() * gmax"
    mon = b2.SpikeMonitor(neurons)
    b2.run(seconds * b2.second)
    loop = finish(directory)
    w = np.asarray(S.w[:]) / gmax
    rate_last = np.sum(np.asarray(mon.t / b2.second) >= seconds - 10) / min(10, seconds)
    return loop, w, rate_last


def brian2_cuba_stdp(directory):
    import brian2 as b2

    standalone(directory)
    b2.seed(1)
    b2.defaultclock.dt = 0.1 * b2.ms
    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    Vt, Vr, El = -50 * b2.mV, -60 * b2.mV, -49 * b2.mV
    eqs = """dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt"""
    P = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    we, wi = (60 * 0.27 / 10) * b2.mV, (-20 * 4.5 / 10) * b2.mV
    wmax, tau = 2 * we, 20 * b2.ms
    dApre, dApost = 0.01 * wmax, -0.0105 * wmax
    Pe, Pi = P[:3200], P[3200:]
    Cee = b2.Synapses(Pe, Pe, """w : volt
                                 dApre/dt = -Apre / tau : volt (event-driven)
                                 dApost/dt = -Apost / tau : volt (event-driven)""",
                      on_pre="""ge += w
                                Apre += dApre
                                w = clip(w + Apost, 0*mV, wmax)""",
                      on_post="""Apost += dApost
                                 w = clip(w + Apre, 0*mV, wmax)""")
    Cee.connect(p=0.02)
    Cee.w = we
    Cei = b2.Synapses(Pe, Pi, on_pre="ge += we")
    Cei.connect(p=0.02)
    Ci = b2.Synapses(Pi, P, on_pre="gi += wi")
    Ci.connect(p=0.02)
    b2.SpikeMonitor(P)
    b2.run(1 * b2.second)
    return finish(directory)


def ours(exe, scene, seconds, stats_from=0.0):
    cmd = [exe, "run", os.path.join(np_common.REPO, "scenes", scene), "--duration", f"{seconds}s", "--stats-from", f"{stats_from}s", "--json"]
    out, wall, rss = np_common.measure_rss(cmd)
    return json.loads(out), wall


def main():
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--song-seconds", type=float, default=100.0)
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()

    d = tempfile.mkdtemp(prefix="brian2-song-")
    try:
        b_loop, b_w, b_rate = brian2_song(args.song_seconds, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    o, o_wall = ours(exe, "stdp_song.ron", args.song_seconds, max(0.0, args.song_seconds - 10))
    ow = o["weights:inputs->neuron"]
    b_hist = np.histogram(np.clip(b_w, 0, 1), bins=10, range=(0, 1))[0].tolist()
    print(f"Song et al. 2000, {args.song_seconds:g} s, final w / g_max in 10 bins:")
    print(f"  Brian2     {b_hist}")
    print(f"  neuroplast {ow['histogram']}")
    print(f"  below 0.1 g_max: Brian2 {np.mean(b_w < 0.1):.3f}, neuroplast {ow['below_10pct']:.3f}")
    print(f"  above 0.9 g_max: Brian2 {np.mean(b_w > 0.9):.3f}, neuroplast {ow['above_90pct']:.3f}")
    print(f"  mean w / g_max:  Brian2 {np.mean(b_w):.3f}, neuroplast {ow['mean_fraction']:.3f}")
    print(f"  post rate:       Brian2 {b_rate:.1f} Hz (last 10 s), neuroplast {o['rate_hz:neuron']:.1f} Hz (last 10 s)")
    print(f"  time:            Brian2 loop {b_loop:.3f} s, neuroplast process {o_wall:.3f} s, ratio {o_wall / b_loop:.3f}")

    d = tempfile.mkdtemp(prefix="brian2-cuba-stdp-")
    try:
        c_loop = brian2_cuba_stdp(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    o, o_wall = ours(exe, "cuba_stdp.ron", 1)
    print("CUBA + STDP on E->E, 1 s:")
    print(f"  time:            Brian2 loop {c_loop:.3f} s, neuroplast process {o_wall:.3f} s, ratio {o_wall / c_loop:.3f}")
    print(f"  rates:           neuroplast E {o['rate_hz:E']:.2f} Hz, I {o['rate_hz:I']:.2f} Hz")


if __name__ == "__main__":
    main()
