#!/usr/bin/env python3
"""Speed and memory against Brian2's C++ standalone mode on the CUBA benchmark (Brette et al. 2007),
measured in one run on this machine.

For each size (4,000 neurons p = 0.02; 40,000 p = 0.002; 400,000 p = 0.0002 = 32 M synapses;
always ~80 synapses a neuron), 1 s of biological time:
  - Brian2: the standalone project is generated and compiled first (not timed); its binary is then
    run on its own; we report its simulation loop time (results/last_run_info.txt), its whole
    process time and its peak RSS.
  - neuroplast: the whole `neuroplast run scenes/cuba.ron --scale K` process (scene parsing, network
    construction and simulation), its wall time and peak RSS.
Goal (issue 3): our whole process at most half of Brian2's loop time, and at most half its memory.

    python3 tools/bench_vs_brian2.py [--sizes 4000,40000,400000] [--threads N]
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


def build_brian2(n, directory):
    """Generates and compiles Brian2's CUBA for n neurons as a standalone C++ project."""
    import brian2 as b2

    b2.device.reinit()
    b2.device.activate()
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(1)
    P = np_common.brian2_cuba(b2, n)
    mon = b2.SpikeMonitor(P)
    b2.run(1 * b2.second)
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    return mon


def run_brian2(directory):
    _, wall, rss = np_common.measure_rss(["./main"], cwd=directory)
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        loop = float(f.read().split()[0])
    return loop, wall, rss


def run_ours(exe, n, threads):
    cmd = [exe, "run", os.path.join(np_common.REPO, "scenes", "cuba.ron"), "--scale", str(n / 4000), "--duration", "1s", "--json"]
    if threads:
        cmd += ["--threads", str(threads)]
    out, wall, rss = np_common.measure_rss(cmd)
    fields = json.loads(out)
    return wall, rss, float(fields["sim_s"]), int(fields["synapses"]), float(fields["mean_rate_hz"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4000,40000,400000")
    ap.add_argument("--threads", type=int, default=None, help="neuroplast threads (default: all cores)")
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()
    print(f"{'neurons':>8} {'synapses':>10} | {'Brian2 loop s':>13} {'Brian2 proc s':>13} {'Brian2 MB':>9} | "
          f"{'ours proc s':>11} {'ours loop s':>11} {'ours MB':>8} | {'time ratio':>10} {'mem ratio':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        directory = tempfile.mkdtemp(prefix=f"brian2-cuba-{n}-")
        try:
            build_brian2(n, directory)
            b_loop, b_wall, b_rss = run_brian2(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        o_wall, o_rss, o_loop, syn, _ = run_ours(exe, n, args.threads)
        print(f"{n:>8} {syn:>10} | {b_loop:>13.3f} {b_wall:>13.3f} {b_rss:>9.1f} | "
              f"{o_wall:>11.3f} {o_loop:>11.3f} {o_rss:>8.1f} | {o_wall / b_loop:>10.3f} {o_rss / b_rss:>9.3f}", flush=True)
    print("time ratio = our whole process / Brian2's simulation loop; mem ratio = our peak RSS / Brian2's (goal: both <= 0.5)")


if __name__ == "__main__":
    main()
