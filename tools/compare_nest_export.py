#!/usr/bin/env python3
"""The PyNEST export (or, with `--via pynn`, the PyNN export on PyNN's NEST backend) against NEST
itself: `neuroplast export SCENE --to nest|pynn` for seeds 1-5, each script run by NEST 3.10
(private virtualenv with PyNN 0.13, installed on first use), and the same scene and seeds run by
neuroplast. Prints per-seed and 5-seed mean rates and CV ISI (200-1000 ms, computed
the same way for both) and per-population rates side by side; exits non-zero unless the 5-seed
mean rate agrees within 6 % and the mean CV ISI within 0.05.

    python3 tools/compare_nest_export.py [--scene scenes/cuba.ron] [--seeds 5] [--via nest|pynn]
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_nest()

import numpy as np  # noqa: E402


def pynn_spikes(script, seed, out_dir):
    csv = os.path.join(out_dir, "spikes.csv")
    subprocess.check_call(
        ["nice", "-n", "10", sys.executable, script, "--simulator", "nest", "--duration-ms", "1000", "--seed", str(seed), "--spikes", csv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return np_common.read_spike_csv(csv)


def nest_spikes(script, seed, out_dir):
    subprocess.check_call(
        ["nice", "-n", "10", sys.executable, script, "--duration-ms", "1000", "--seed", str(seed), "--out-dir", out_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    times, senders = [], []
    for path in glob.glob(os.path.join(out_dir, "spikes-*.dat")):
        data = np.loadtxt(path, comments="#", skiprows=3, ndmin=2)
        if data.size:
            senders.append(data[:, 0].astype(np.int64) - 1)
            times.append(data[:, 1])
    return np.concatenate(times), np.concatenate(senders)


def populations(exe, scene):
    """(name, first id, end id) of each population, from the scene's build."""
    import json

    out = json.loads(subprocess.check_output([exe, "run", scene, "--duration", "0ms", "--json"], text=True))
    return out["neurons"], [k.split(":", 1)[1] for k in out if k.startswith("rate_hz:")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scene", default="scenes/cuba.ron")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--via", choices=["nest", "pynn"], default="nest")
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()
    scene = os.path.join(np_common.REPO, args.scene)
    n, _ = populations(exe, scene)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for seed in range(1, args.seeds + 1):
            script = os.path.join(d, f"scene_{seed}.py")
            subprocess.check_call([exe, "export", scene, "--to", args.via, "--seed", str(seed), "-o", script], stdout=subprocess.DEVNULL)
            out_dir = os.path.join(d, f"nest_{seed}")
            os.makedirs(out_dir)
            t_n, s_n = (pynn_spikes if args.via == "pynn" else nest_spikes)(script, seed, out_dir)
            csv = os.path.join(d, f"ours_{seed}.csv")
            subprocess.check_call([exe, "run", scene, "--seed", str(seed), "--duration", "1s", "--spikes", csv], stdout=subprocess.DEVNULL)
            t_o, s_o = np_common.read_spike_csv(csv)
            r_n, cv_n, _ = np_common.spike_stats(t_n, s_n, n)
            r_o, cv_o, _ = np_common.spike_stats(t_o, s_o, n)
            rows.append((r_o, cv_o, r_n, cv_n))
            print(f"seed {seed}: ours {r_o:.3f} Hz CV {cv_o:.3f} | NEST {r_n:.3f} Hz CV {cv_n:.3f}")
            if seed == 1 and "cuba" in args.scene:
                for name, (a, b) in [("E", (0, 3200)), ("I", (3200, 4000))]:
                    ro = np.sum((s_o >= a) & (s_o < b) & (t_o >= 200)) / (b - a) / 0.8
                    rn = np.sum((s_n >= a) & (s_n < b) & (t_n >= 200)) / (b - a) / 0.8
                    print(f"  population {name}: ours {ro:.3f} Hz, NEST {rn:.3f} Hz")
    r_o, cv_o, r_n, cv_n = np.mean(rows, axis=0)
    rate_diff = abs(r_o - r_n) / r_n
    ok = rate_diff <= 0.06 and abs(cv_o - cv_n) <= 0.05
    print(
        f"{args.seeds}-seed mean: ours {r_o:.3f} Hz CV {cv_o:.3f} | NEST {r_n:.3f} Hz CV {cv_n:.3f} | "
        f"rate {100 * rate_diff:.1f} % apart (limit 6 %), CV {abs(cv_o - cv_n):.3f} apart (limit 0.05): {'OK' if ok else 'FAIL'}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
