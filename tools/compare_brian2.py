#!/usr/bin/env python3
"""Fidelity check against a simulator we did not write: Brette et al. (2007) CUBA in Brian2 and
in neuroplast (scenes/cuba.ron) for 5 seeds; mean rate and mean CV ISI over 0.2-1 s, computed the
same way from both spike sets. Acceptance (issue 3): our 5-seed mean rate within 6 % of Brian2's
and our mean CV within 0.05. Installs Brian2 into a private virtualenv on first use.

    python3 tools/compare_brian2.py [--seeds 5]
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_brian2()


def brian2_cuba(seed):
    """Brian2's examples/CUBA.py, 1 s, numpy runtime target (no compiler involved)."""
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.seed(seed)
    b2.defaultclock.dt = 0.1 * b2.ms
    P = np_common.brian2_cuba(b2)
    mon = b2.SpikeMonitor(P)
    b2.run(1 * b2.second)
    return np_common.spike_stats(mon.t / b2.ms, mon.i[:], 4000)


def ours(exe, seed, tmp):
    csv = os.path.join(tmp, f"spikes-{seed}.csv")
    subprocess.run(
        [exe, "run", os.path.join(np_common.REPO, "scenes", "cuba.ron"), "--seed", str(seed), "--duration", "1s", "--spikes", csv, "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    t, i = np_common.read_spike_csv(csv)
    return np_common.spike_stats(t, i, 4000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'seed':>4} {'Brian2 Hz':>10} {'ours Hz':>9} {'Brian2 CV':>10} {'ours CV':>8}")
        for seed in range(1, args.seeds + 1):
            b_rate, b_cv, _ = brian2_cuba(seed)
            o_rate, o_cv, _ = ours(exe, seed, tmp)
            rows.append((b_rate, o_rate, b_cv, o_cv))
            print(f"{seed:>4} {b_rate:>10.3f} {o_rate:>9.3f} {b_cv:>10.3f} {o_cv:>8.3f}", flush=True)
    n = len(rows)
    b_rate, o_rate, b_cv, o_cv = (sum(r[k] for r in rows) / n for k in range(4))
    rate_err = abs(o_rate - b_rate) / b_rate
    cv_err = abs(o_cv - b_cv)
    print(f"mean {b_rate:>10.3f} {o_rate:>9.3f} {b_cv:>10.3f} {o_cv:>8.3f}")
    ok = rate_err <= 0.06 and cv_err <= 0.05
    print(f"rate difference {100 * rate_err:.2f} % (limit 6 %), CV difference {cv_err:.3f} (limit 0.05): {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
