#!/usr/bin/env python3
"""Writes the large recording `neuroplast bench replay` reads (not committed: 12 GB at the default
size), with h5py from the SONATA tools' private virtualenv (installed on first use):

- OUT.h5: a SONATA spike file, /spikes/N/node_ids (uint32) and /spikes/N/timestamps (float64, ms,
  on the 0.1 ms grid), `sorting = by_time`: every neuron fires as an independent Poisson process
  at the rate that gives SPIKES spikes over the recording;
- OUT.ron: the network it is of, NEURONS LIF neurons in one population `N`, in a box, with no
  synapses (a replay needs only the neurons).

    python3 tools/make_big_recording.py --neurons 1000000 --spikes 1000000000 --seconds 100 \\
        --out /tmp/big
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_sonata()

import h5py  # noqa: E402
import numpy as np  # noqa: E402

DT_MS = 0.1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--spikes", type=int, default=1_000_000_000)
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--out", required=True, help="path without extension: OUT.h5 and OUT.ron are written")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    steps = int(round(a.seconds * 1000.0 / DT_MS))
    rng = np.random.default_rng(a.seed)
    # Exactly SPIKES spikes, spread over the steps as independent Poisson processes would be.
    counts_all = rng.multinomial(a.spikes, np.full(steps, 1.0 / steps))
    total = int(counts_all.sum())
    t0 = time.time()
    with h5py.File(a.out + ".h5", "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        g = f.create_group("spikes/N")
        g.attrs["sorting"] = "by_time"
        ids = g.create_dataset("node_ids", (total,), dtype=np.uint32)
        ts = g.create_dataset("timestamps", (total,), dtype=np.float64)
        ts.attrs["units"] = "ms"
        row = 0
        batch = 10_000  # steps (1 s) per write
        for s0 in range(0, steps, batch):
            counts = counts_all[s0 : s0 + batch]
            n = int(counts.sum())
            step_of = np.repeat(np.arange(s0, s0 + len(counts), dtype=np.int64), counts)
            neuron = rng.integers(0, a.neurons, n, dtype=np.int64)
            order = np.argsort(step_of * a.neurons + neuron, kind="stable")
            ids[row : row + n] = neuron[order].astype(np.uint32)
            ts[row : row + n] = (step_of[order] + 1) * DT_MS
            row += n
            print(f"\r{row:,} / {total:,} spikes ({time.time() - t0:.0f} s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    side = int(round(a.neurons ** (1 / 3) * 20))
    with open(a.out + ".ron", "w") as f:
        f.write(
            f"""Scene(
    version: 1, name: "replay bench: {a.neurons:,} neurons", dt: "{DT_MS} ms", seed: 1,
    description: "The network of tools/make_big_recording.py: {a.neurons} neurons, no synapses (a replay needs only the neurons).",
    populations: [
        (name: "N", size: {a.neurons}, model: LifCurrent(),
         layout: Box(center: (0.0, 0.0, 0.0), size: ({side}.0, {side}.0, {side}.0))),
    ],
)
"""
        )
    print(f"wrote {a.out}.h5 ({total:,} spikes over {a.seconds} s) and {a.out}.ron in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
