"""Shared helpers for the comparison scripts: a private Brian2 virtualenv, the neuroplast binary,
spike-train statistics computed the same way for both simulators, and child-process measurement."""

import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.expanduser(os.environ.get("NEUROPLAST_BRIAN2_VENV", "~/.cache/neuroplast/venv-brian2"))
# Brian2 2.9.0 is the version ALGORITHMS.md's reference numbers come from (Python 3.11).
BRIAN2_REQS = ["brian2==2.9.0", "numpy<2.3"]


def ensure_venv(venv, reqs):
    """Re-executes the calling script inside the virtualenv `venv` with `reqs` installed, creating
    it on first use (at low priority: the machine is shared)."""
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    marker = os.path.join(venv, ".neuroplast-reqs")
    if not os.path.exists(py):
        print(f"creating {venv} with {' '.join(reqs)} (first use only)", file=sys.stderr)
        subprocess.check_call(["nice", "-n", "10", sys.executable, "-m", "venv", venv])
    installed = open(marker).read().split() if os.path.exists(marker) else None
    if installed != list(reqs):
        # A new venv, or one made before the requirements changed: install what is missing.
        subprocess.check_call(["nice", "-n", "10", py, "-m", "pip", "install", "-q", *reqs])
        with open(marker, "w") as f:
            f.write("\n".join(reqs) + "\n")
    os.execv(py, [py, *sys.argv])


def ensure_brian2():
    """Re-executes the calling script inside a virtualenv that has Brian2."""
    ensure_venv(VENV, BRIAN2_REQS)


NEST_VENV = os.path.expanduser(os.environ.get("NEUROPLAST_NEST_VENV", "~/.cache/neuroplast/venv-nest"))
# NEST 3.10.0 is the version ALGORITHMS.md's MSP reference numbers come from (Python 3.11).
NEST_REQS = ["nest-simulator==3.10.0", "numpy<2.3", "PyNN==0.13.0"]


def ensure_nest():
    """Re-executes the calling script inside a virtualenv that has NEST."""
    ensure_venv(NEST_VENV, NEST_REQS)


NETWORKX_VENV = os.path.expanduser(os.environ.get("NEUROPLAST_NETWORKX_VENV", "~/.cache/neuroplast/venv-networkx"))
NETWORKX_REQS = ["networkx==3.4.2", "numpy==2.4.6"]


def ensure_networkx():
    """Re-executes the calling script inside a virtualenv that has networkx."""
    ensure_venv(NETWORKX_VENV, NETWORKX_REQS)


def neuroplast_binary():
    """Path of a release neuroplast binary, building the engine-only CLI if needed."""
    if os.environ.get("NEUROPLAST_BIN"):
        return os.environ["NEUROPLAST_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    exe = os.path.join(target, "release", "neuroplast")
    subprocess.check_call(["cargo", "build", "--release", "--quiet", "--no-default-features", "--bin", "neuroplast"], cwd=REPO)
    return exe


def measure_rss(cmd, cwd=None):
    """Runs cmd under GNU time; returns (stdout, wall seconds, peak RSS MB) of that child alone.

    (Python's own wait4 would count the forked interpreter's memory before exec.)"""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M", *cmd], cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}")
        rss_kb = float(tf.read().strip().splitlines()[-1])
    return proc.stdout, wall, rss_kb / 1024.0


def spike_stats(times_ms, neurons, n, t0=200.0, t1=1000.0):
    """Mean rate (Hz) and mean CV of ISIs (neurons with >= 3 spikes) over [t0, t1) ms."""
    import numpy as np

    times_ms = np.asarray(times_ms, dtype=float)
    neurons = np.asarray(neurons, dtype=np.int64)
    keep = (times_ms >= t0) & (times_ms < t1)
    times_ms, neurons = times_ms[keep], neurons[keep]
    rate = len(times_ms) / n / ((t1 - t0) * 1e-3)
    order = np.lexsort((times_ms, neurons))
    times_ms, neurons = times_ms[order], neurons[order]
    cvs = []
    bounds = np.flatnonzero(np.diff(neurons)) + 1
    for train in np.split(times_ms, bounds):
        if len(train) >= 3:
            isi = np.diff(train)
            if isi.mean() > 0:
                cvs.append(isi.std() / isi.mean())
    return rate, (float(np.mean(cvs)) if cvs else float("nan")), len(cvs)


def read_spike_csv(path):
    import numpy as np

    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if data.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    return data[:, 0], data[:, 1].astype(np.int64)


def brian2_cuba(b2, n=4000):
    """Brian2's examples/CUBA.py network scaled to n neurons (p = 80 / n keeps 80 synapses a
    neuron); returns the NeuronGroup, its synapses attached to it."""
    ns = {
        "taum": 20 * b2.ms, "taue": 5 * b2.ms, "taui": 10 * b2.ms,
        "Vt": -50 * b2.mV, "Vr": -60 * b2.mV, "El": -49 * b2.mV,
        "we": (60 * 0.27 / 10) * b2.mV, "wi": (-20 * 4.5 / 10) * b2.mV,
    }
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    p, ne = 0.02 * 4000 / n, n * 4 // 5
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect(f"i<{ne}", p=p)
    Ci.connect(f"i>={ne}", p=p)
    P.contained_objects.extend([Ce, Ci])
    return P


NEUROML_VENV = os.path.expanduser(os.environ.get("NEUROPLAST_NEUROML_VENV", "~/.cache/neuroplast/venv-neuroml"))
NEUROML_REQS = ["libNeuroML"]


def ensure_neuroml():
    """Re-executes the calling script inside a virtualenv that has libNeuroML."""
    ensure_venv(NEUROML_VENV, NEUROML_REQS)


SONATA_VENV = os.path.expanduser(os.environ.get("NEUROPLAST_SONATA_VENV", "~/.cache/neuroplast/venv-sonata"))
# libsonata is the reference SONATA reader (BlueBrain); h5py writes the fixtures.
SONATA_REQS = ["libsonata", "h5py", "numpy"]


def ensure_sonata():
    """Re-executes the calling script inside a virtualenv that has libsonata and h5py."""
    ensure_venv(SONATA_VENV, SONATA_REQS)
