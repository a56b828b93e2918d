#!/usr/bin/env python3
"""Writes the HDF5 spike fixtures `tests/replay.rs` reads, with h5py (the SONATA tools' private
virtualenv, installed on first use), for `scenes/cuba.ron` (E: 3,200 neurons, I: 800):

- tests/fixtures/spikes/sonata.h5: /spikes/E and /spikes/I (node ids within each population),
  E in ms sorted by time, I in seconds unsorted (`sorting = none`);
- tests/fixtures/spikes/sonata_unsorted.h5: /spikes/E claiming `sorting = by_time`, not sorted;
- tests/fixtures/spikes/sonata_gids.h5: the older /spikes/gids + /spikes/timestamps (global ids, ms);
- tests/fixtures/spikes/units.nwb: NWB units (/units/id, /units/spike_times in s, its index);
- tests/fixtures/spikes/by_time.h5: /spikes/E (1,500 spikes, ms) and /spikes/I (500, s), both
  `sorting = by_time`, times on the 0.1 ms grid over 200 ms with repeats (what streaming reads).

    python3 tools/make_spike_fixtures.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_sonata()

import h5py  # noqa: E402
import numpy as np  # noqa: E402


def main():
    out = os.path.join(np_common.REPO, "tests/fixtures/spikes")
    os.makedirs(out, exist_ok=True)
    with h5py.File(os.path.join(out, "sonata.h5"), "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        e = f.create_group("spikes/E")
        e.attrs["sorting"] = "by_time"
        e.create_dataset("node_ids", data=np.array([5, 0, 3199, 5], dtype=np.uint64))
        ts = e.create_dataset("timestamps", data=np.array([0.5, 1.0, 2.5, 7.25]))
        ts.attrs["units"] = "ms"
        i = f.create_group("spikes/I")
        i.attrs["sorting"] = "none"
        i.create_dataset("node_ids", data=np.array([799, 0], dtype=np.uint64))
        ts = i.create_dataset("timestamps", data=np.array([0.004, 0.001]))
        ts.attrs["units"] = "s"
    with h5py.File(os.path.join(out, "sonata_unsorted.h5"), "w") as f:
        e = f.create_group("spikes/E")
        e.attrs["sorting"] = "by_time"
        e.create_dataset("node_ids", data=np.array([1, 2, 3], dtype=np.uint64))
        e.create_dataset("timestamps", data=np.array([1.0, 3.0, 2.0]))
    with h5py.File(os.path.join(out, "sonata_gids.h5"), "w") as f:
        f.create_dataset("spikes/gids", data=np.array([3200, 1, 3999], dtype=np.uint64))
        f.create_dataset("spikes/timestamps", data=np.array([3.0, 1.5, 2.0]))
    with h5py.File(os.path.join(out, "units.nwb"), "w") as f:
        u = f.create_group("units")
        u.create_dataset("id", data=np.array([10, 3300, 42], dtype=np.int64))
        # Unit 10: 2 spikes, unit 3300: none, unit 42: 1.
        u.create_dataset("spike_times_index", data=np.array([2, 2, 3], dtype=np.uint64))
        u.create_dataset("spike_times", data=np.array([0.010, 0.020, 0.0055]))
    rng = np.random.default_rng(3)
    with h5py.File(os.path.join(out, "by_time.h5"), "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        for pop, n, size, units in [("E", 1500, 3200, "ms"), ("I", 500, 800, "s")]:
            g = f.create_group(f"spikes/{pop}")
            g.attrs["sorting"] = "by_time"
            steps = np.sort(rng.integers(1, 2000, n))
            g.create_dataset("node_ids", data=rng.integers(0, size, n).astype(np.uint32))
            t = steps * 0.1 if units == "ms" else steps * 0.0001
            ts = g.create_dataset("timestamps", data=t)
            ts.attrs["units"] = units
    print("wrote", ", ".join(sorted(os.listdir(out))), "in", out)


if __name__ == "__main__":
    main()
