#!/usr/bin/env python3
"""Exports scenes to SONATA with `neuroplast export --to sonata` and reads each circuit with
libsonata, the reference SONATA reader (BlueBrain, from PyPI): the circuit and simulation configs
open, every node and edge population has the counts neuroplast reports, every column libsonata
returns equals what h5py reads from the same file, and the synapses summed per pair of neurons
(count and weight) equal neuroplast's GraphML export of the same scene. Then the h5py-written
fixture (tests/fixtures/sonata) is imported, exported again, and libsonata must read the same
edges (source and target positions, weight, delay) from both. Installs libsonata and h5py into a
private virtualenv on first use.

    python3 tools/check_sonata_libsonata.py [scenes/cuba.ron scenes/celegans.ron ...]
"""

import collections
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_sonata()
import h5py  # noqa: E402
import libsonata  # noqa: E402
import numpy as np  # noqa: E402


def graphml_pairs(path):
    """(source, target, kind) -> (count, summed weight) from neuroplast's GraphML."""
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    out = {}
    for e in ET.parse(path).getroot().iter("{http://graphml.graphdrawing.org/xmlns}edge"):
        data = {d.get("key"): d.text for d in e.findall("g:data", ns)}
        key = (int(e.get("source")[1:]), int(e.get("target")[1:]), data["kind"])
        out[key] = (int(data["count"]), float(data["weight"]))
    return out


def read_edges(circuit_dir):
    """Every chemical edge of a circuit through libsonata: (source, target, weight, delay) arrays,
    checked column by column against h5py."""
    cfg = libsonata.CircuitConfig.from_file(os.path.join(circuit_dir, "circuit_config.json"))
    out = {}
    for name in cfg.edge_populations:
        pop = cfg.edge_population(name)
        sel = libsonata.Selection([(0, pop.size)])
        src, dst = pop.source_nodes(sel), pop.target_nodes(sel)
        cols = {a: pop.get_attribute(a, sel) for a in pop.attribute_names}
        with h5py.File(os.path.join(circuit_dir, "network", "edges.h5")) as f:
            g = f["edges"][name]
            assert np.array_equal(src, g["source_node_id"][:]) and np.array_equal(dst, g["target_node_id"][:]), name
            for a, v in cols.items():
                assert np.allclose(v, g["0"][a][:]), f"{name}/{a}: libsonata and h5py differ"
        out[name] = (cfg.edge_population_properties(name).type, src, dst, cols)
    return cfg, out


def check_scene(exe, scene):
    with tempfile.TemporaryDirectory() as d:
        circuit = os.path.join(d, "circuit")
        line = subprocess.check_output([exe, "export", scene, "--to", "sonata", "-o", circuit], text=True)
        nodes, chem, elec = (int(x) for x in re.search(r"SONATA: (\d+) nodes, (\d+) chemical edges, (\d+) electrical", line).groups())
        graph = os.path.join(d, "g.graphml")
        subprocess.check_output([exe, "export", scene, "--to", "graphml", "-o", graph], text=True)
        pairs = graphml_pairs(graph)
        cfg, edges = read_edges(circuit)
        sim = libsonata.SimulationConfig.from_file(os.path.join(circuit, "simulation_config.json"))
        n_nodes = sum(cfg.node_population(p).size for p in cfg.node_populations)
        counts = collections.Counter()
        weights = collections.defaultdict(float)
        sizes = {}
        for name, (kind, src, dst, cols) in edges.items():
            sizes[name] = len(src)
            if kind == "chemical":
                w = np.abs(cols["syn_weight"])
                for s, t, x in zip(src, dst, w):
                    counts[(s, t)] += 1
                    weights[(s, t)] += x
        want = {(s, t): c for (s, t, k), c in pairs.items() if k != "electrical"}
        same_counts = {k: v[0] for k, v in want.items()} == dict(counts)
        same_weights = all(abs(abs(want[k][1]) - weights[k]) <= 1e-4 * max(1.0, weights[k]) for k in want)
        ok = (n_nodes == nodes and sizes.get("network_to_network", 0) == chem and sizes.get("network_gap", 0) == elec
              and same_counts and same_weights)
        print(f"{scene}: libsonata {n_nodes} nodes, edges {sizes}, dt {sim.run.dt} ms; neuroplast {nodes} nodes, "
              f"{chem} chemical, {elec} electrical; per-pair counts {'equal' if same_counts else 'DIFFER'}, "
              f"weights {'equal' if same_weights else 'DIFFER'} -> {'OK' if ok else 'MISMATCH'}")
        return ok


def key(src_xyz, dst_xyz, w, d):
    return (tuple(np.float32(src_xyz)), tuple(np.float32(dst_xyz)), round(float(w), 4), round(float(d), 4))


def original_fixture_edges(fixture):
    """The fixture's v1 -> v1 edges read with h5py, groups and type defaults resolved as the
    generator wrote them (group 1: weight 1.25 x nsyns 2, delay 2 ms from the edge type)."""
    net = os.path.join(fixture, "network")
    with h5py.File(os.path.join(net, "v1_nodes.h5")) as f:
        g = f["nodes/v1"]
        gid, gix = g["node_group_id"][:], g["node_group_index"][:]
        xyz = [tuple(g[str(a)][c][b] for c in "xyz") for a, b in zip(gid, gix)]
    out = collections.Counter()
    with h5py.File(os.path.join(net, "v1_v1_edges.h5")) as f:
        g = f["edges/v1_to_v1"]
        for s, t, a, b in zip(g["source_node_id"][:], g["target_node_id"][:], g["edge_group_id"][:], g["edge_group_index"][:]):
            w, d = (g["0"]["syn_weight"][b], g["0"]["delay"][b]) if a == 0 else (2.5, 2.0)
            out[key(xyz[s], xyz[t], w, d)] += 1
    return out


def exported_fixture_edges(circuit):
    """The same edges of our export, read with libsonata (edges from the virtual `tw` nodes left out)."""
    cfg = libsonata.CircuitConfig.from_file(os.path.join(circuit, "circuit_config.json"))
    nodes = cfg.node_population("network")
    all_nodes = libsonata.Selection([(0, nodes.size)])
    xyz = list(zip(*(nodes.get_attribute(c, all_nodes) for c in "xyz")))
    with open(os.path.join(circuit, "network", "node_types.csv")) as t:
        rows = [line.split() for line in t.read().splitlines()[1:]]
    virtual = {int(r[0]) for r in rows if r[1] == "virtual"}
    with h5py.File(os.path.join(circuit, "network", "nodes.h5")) as f:
        node_type = f["nodes/network/node_type_id"][:]
    pop = cfg.edge_population("network_to_network")
    sel = libsonata.Selection([(0, pop.size)])
    src, dst = pop.source_nodes(sel), pop.target_nodes(sel)
    w, d = pop.get_attribute("syn_weight", sel), pop.get_attribute("delay", sel)
    out = collections.Counter()
    for k in range(len(src)):
        if node_type[src[k]] not in virtual:
            out[key(xyz[src[k]], xyz[dst[k]], w[k], d[k])] += 1
    return out


def check_fixture(exe):
    fixture = os.path.join(np_common.REPO, "tests", "fixtures", "sonata")
    with tempfile.TemporaryDirectory() as d:
        scene = os.path.join(d, "fixture.ron")
        subprocess.check_output([exe, "import", os.path.join(fixture, "simulation_config.json"), "-o", scene], text=True)
        circuit = os.path.join(d, "again")
        subprocess.check_output([exe, "export", scene, "--to", "sonata", "-o", circuit], text=True)
        before = original_fixture_edges(fixture)
        after = exported_fixture_edges(circuit)
        ok = before == after and sum(before.values()) == 40
        print(f"h5py fixture -> import -> export: h5py reads {sum(before.values())} v1 edges before, "
              f"libsonata {sum(after.values())} after, {'the same' if before == after else 'DIFFERENT'} (positions, weights, "
              f"delays) -> {'OK' if ok else 'MISMATCH'}")
        return ok


def main():
    exe = np_common.neuroplast_binary()
    scenes = sys.argv[1:] or [os.path.join(np_common.REPO, "scenes", s) for s in ("cuba.ron", "celegans.ron", "default.ron")]
    results = [check_scene(exe, s) for s in scenes] + [check_fixture(exe)]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
