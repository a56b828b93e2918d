#!/usr/bin/env python3
"""Exports shipped scenes to GraphML and GEXF with `neuroplast export` and reads them back with
networkx: node and edge counts, summed weights and synapse counts, populations, names and
positions must be what the network holds (networkx installs into a private virtualenv on first
use).

    python3 tools/check_export_networkx.py [scenes/celegans.ron scenes/cuba.ron ...]
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

def ours(exe, scene):
    """Neurons, synapses and gap junctions as `neuroplast run` reports them (JSON)."""
    import json

    out = subprocess.check_output([exe, "run", scene, "--duration", "0ms", "--json"], text=True)
    j = json.loads(out)
    return j["neurons"], j["synapses"]


def check(exe, scene, fmt):
    import networkx as nx

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "g." + fmt)
        line = subprocess.check_output([exe, "export", scene, "--to", fmt, "-o", path], text=True)
        g = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    neurons, synapses = ours(exe, scene)
    gap_contacts = int(line.split(" synapses, ")[1].split(" gap")[0])
    edges = list(g.edges(data=True))
    chem = [e for e in edges if e[2]["kind"] != "electrical"]
    elec = [e for e in edges if e[2]["kind"] == "electrical"]
    counts = (sum(int(e[2]["count"]) for e in chem), sum(int(e[2]["count"]) for e in elec))
    ok = g.number_of_nodes() == neurons and counts[0] == synapses and counts[1] == 2 * gap_contacts
    pops = sorted({d.get("population", "?") for _, d in g.nodes(data=True)})
    print(
        f"{scene} {fmt}: networkx {type(g).__name__}, {g.number_of_nodes()} nodes (ours {neurons}), "
        f"{len(edges)} edges, chemical synapses {counts[0]} (ours {synapses}), electrical {counts[1]} "
        f"(ours {2 * gap_contacts} both ways), populations {pops}: {'OK' if ok else 'MISMATCH'}"
    )
    if fmt == "graphml" and scene.endswith("celegans.ron"):
        names = {d.get("name"): n for n, d in g.nodes(data=True)}
        # Cook et al. 2019: ALML's chemical contacts onto AVDR, straight from the edge list.
        want = 0
        for row in open(os.path.join(np_common.REPO, "assets/celegans/herm_full_edgelist.csv")).readlines()[1:]:
            f = [x.strip() for x in row.split(",")]
            if f[0] == "ALML" and f[1] == "AVDR" and f[3] == "chemical":
                want += int(f[2])
        got = sum(int(d["count"]) for u, v, d in edges if u == names["ALML"] and v == names["AVDR"] and d["kind"] != "electrical")
        print(f"  ALML -> AVDR chemical contacts: {got} (edge list {want}): {'OK' if got == want else 'MISMATCH'}")
        ok = ok and got == want
    return ok


def main():
    np_common.ensure_networkx()
    exe = np_common.neuroplast_binary()
    scenes = sys.argv[1:] or ["scenes/celegans.ron", "scenes/cuba.ron", "scenes/growth.ron", "scenes/default.ron"]
    ok = all([check(exe, s, fmt) for s in scenes for fmt in ("graphml", "gexf")])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
