#!/usr/bin/env python3
"""The cluster round trip on one machine: `neuroplast export SCENE --to nest`, the script run by
NEST 3.10 (private virtualenv, installed on first use) with 2 threads, so its ascii backend writes
one spike file per virtual process; then `neuroplast replay --spikes <those files> --out` merges
them. The replayed spikes must equal NEST's files, read here with numpy, spike for spike (times to
the bit, node id − 1 as our id). Exits non-zero on any difference.

    python3 tools/check_replay_nest.py [--scene scenes/cuba.ron] [--duration-ms 500] [--threads 2]
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_nest()

import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scene", default="scenes/cuba.ron")
    ap.add_argument("--duration-ms", type=float, default=500.0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    exe = np_common.neuroplast_binary()
    os.chdir(np_common.REPO)
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "scene_nest.py")
        subprocess.check_call([exe, "export", a.scene, "--to", "nest", "-o", script], stdout=subprocess.DEVNULL)
        subprocess.check_call(
            [sys.executable, script, "--duration-ms", str(a.duration_ms), "--out-dir", d, "--threads", str(a.threads),
             "--record-v", "5"],
            stdout=subprocess.DEVNULL,
        )
        files = sorted(glob.glob(os.path.join(d, "spikes-*.dat")))
        times, ids = [], []
        for f in files:
            data = np.loadtxt(f, comments="#", skiprows=3, ndmin=2)
            if data.size:
                ids.append(data[:, 0].astype(np.int64) - 1)
                times.append(data[:, 1])
        times, ids = np.concatenate(times), np.concatenate(ids)
        order = np.lexsort((ids, times))
        times, ids = times[order], ids[order]
        out = os.path.join(d, "replayed.csv")
        stats = json.loads(subprocess.check_output(
            [exe, "replay", "--network", a.scene, "--spikes", *files, "--out", out, "--json"], text=True))
        ours = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
        same = len(ours) == len(times) and np.array_equal(ours[:, 0], times) and np.array_equal(ours[:, 1].astype(np.int64), ids)
        print(f"{a.scene}, {a.duration_ms:.0f} ms, NEST with {a.threads} threads: {len(files)} files, {len(times)} spikes")
        print(f"replayed: {stats['spikes']} spikes, {stats['first_ms']} to {stats['last_ms']} ms; "
              f"mean rate {stats['groups'][0]['mean_rate_hz']:.3f} Hz, CV ISI {stats['groups'][0]['mean_cv_isi']}")
        print("spike for spike:", "equal" if same else "DIFFERENT")
        # The multimeter's V_m of the first 5 neurons, every step, replayed with the spikes.
        vm_files = sorted(glob.glob(os.path.join(d, "multimeter-*.dat")))
        rows = sum(len(np.loadtxt(f, comments="#", skiprows=3, ndmin=2)) for f in vm_files)
        with_vm = json.loads(subprocess.check_output(
            [exe, "replay", "--network", a.scene, "--spikes", *files, *vm_files, "--json"], text=True))
        v = with_vm["voltages"]
        same_v = v["samples"] == rows and v["neurons"] == 5 and with_vm["spikes"] == stats["spikes"]
        print(f"multimeter: {len(vm_files)} files, {rows} samples; replayed {v['samples']} samples of {v['neurons']} neurons:",
              "equal" if same_v else "DIFFERENT")
        sys.exit(0 if same and same_v else 1)


if __name__ == "__main__":
    main()
