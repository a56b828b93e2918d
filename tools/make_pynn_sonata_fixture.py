#!/usr/bin/env python3
"""Writes tests/fixtures/pynn_sonata with PyNN's own SONATA export (pyNN.serialization,
PyNN 0.13, mock backend; private virtualenv with NEST and PyNN, h5py added): 64 excitatory
IF_curr_exp cells on a 4x4x4 grid and 16 inhibitory ones, an E->I projection (p 0.2, 0.05 nA,
1.5 ms) and an I->E one (p 0.3, -0.2 nA, 0.8 ms). tests/sonata.rs imports it.

    python3 tools/make_pynn_sonata_fixture.py [OUT_DIR]
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_nest()
try:
    import h5py  # noqa: F401
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "h5py"])

import pyNN.mock as sim  # noqa: E402
from pyNN.serialization import export_to_sonata  # noqa: E402
from pyNN.space import Grid3D  # noqa: E402

import json  # noqa: E402
import shutil  # noqa: E402

out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(np_common.REPO, "tests", "fixtures", "pynn_sonata"))
shutil.rmtree(out, ignore_errors=True)
os.makedirs(os.path.dirname(out), exist_ok=True)
os.chdir(os.path.dirname(out))
sim.setup(timestep=0.1)
exc = sim.Population(64, sim.IF_curr_exp(tau_m=20.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=2.0, cm=0.25),
                     label="exc", structure=Grid3D(dx=10.0, dy=10.0, dz=10.0))
inh = sim.Population(16, sim.IF_curr_exp(tau_m=10.0, cm=0.2), label="inh")
net = sim.Network(exc, inh)
e2i = sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed=1)),
                     sim.StaticSynapse(weight=0.05, delay=1.5), receptor_type="excitatory", label="e2i")
i2e = sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=2)),
                     sim.StaticSynapse(weight=-0.2, delay=0.8), receptor_type="inhibitory", label="i2e")
net.add(e2i, i2e)
export_to_sonata(net, os.path.basename(out))
# PyNN writes $BASE_DIR as the folder it was given, relative to where it ran, while SONATA (and
# libsonata) take a manifest path from the config's own folder: "." is what PyNN means.
config = os.path.join(out, "circuit_config.json")
with open(config) as f:
    c = json.load(f)
c["manifest"]["$BASE_DIR"] = "."
with open(config, "w") as f:
    json.dump(c, f, indent=2)
print(f"wrote {out}: {len(e2i)} E->I and {len(i2e)} I->E connections")
