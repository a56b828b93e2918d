#!/usr/bin/env python3
"""Validates the NeuroML2 fixtures against the NeuroML schema with libNeuroML (private virtualenv,
installed on first use) and prints what libNeuroML reads from them, beside what `neuroplast
import` makes of them.

    python3 tools/check_neuroml_fixture.py [tests/fixtures/two_populations.net.nml ...]
"""

import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_neuroml()

import neuroml.loaders  # noqa: E402
from neuroml.utils import validate_neuroml2  # noqa: E402


def main():
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(np_common.REPO, "tests/fixtures/*.nml")))
    exe = np_common.neuroplast_binary()
    for path in files:
        validate_neuroml2(path)
        doc = neuroml.loaders.read_neuroml2_file(path)
        net = doc.networks[0]
        cells = sum(p.size for p in net.populations)
        conns = sum(len(p.connections) + len(p.connection_wds) for p in net.projections)
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.check_output([exe, "import", path, "-o", os.path.join(d, "s.ron")], text=True)
        print(f"{path}: schema-valid; libNeuroML reads {cells} cells, {conns} chemical connections")
        print("  neuroplast: " + out.strip().replace("\n", "\n  neuroplast: "))


if __name__ == "__main__":
    main()
