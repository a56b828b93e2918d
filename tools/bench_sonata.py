#!/usr/bin/env python3
"""SONATA speed and memory at scale: generates with h5py a circuit of 1 M point neurons (80 %
excitatory iaf_psc_exp, 20 % inhibitory) and 100 M synapses (fixed in-degree 100, sorted by target
as BMTK writes them, per-edge weights and delays) — not committed, made once under
~/.cache/neuroplast/sonata-bench — then times `neuroplast import` of it and `neuroplast export
--to sonata` of the imported scene, each with its peak memory, against the built network's
arrays (what the engine holds: 10 bytes per synapse, 106 per neuron).

    python3 tools/bench_sonata.py [--neurons 1000000] [--indegree 100] [--dir DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_sonata()
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def generate(d, n, k):
    net = os.path.join(d, "network")
    os.makedirs(net, exist_ok=True)
    os.makedirs(os.path.join(d, "components"), exist_ok=True)
    n_exc = int(0.8 * n)
    rng = np.random.default_rng(1)
    with h5py.File(os.path.join(net, "nodes.h5"), "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        g = f.create_group("nodes/cortex")
        g["node_type_id"] = np.where(np.arange(n) < n_exc, 100, 101).astype(np.uint32)
        g["node_group_id"] = np.zeros(n, dtype=np.uint8)
        g["node_group_index"] = np.arange(n, dtype=np.uint32)
        g0 = g.create_group("0")
        for c in "xyz":
            g0[c] = rng.uniform(0, 2000, n).astype(np.float32)
    with open(os.path.join(net, "node_types.csv"), "w") as t:
        t.write("node_type_id model_type model_template pop_name\n")
        t.write("100 point_neuron nest:iaf_psc_exp E\n101 point_neuron nest:iaf_psc_exp I\n")
    m = n * k
    block = 10_000_000
    with h5py.File(os.path.join(net, "edges.h5"), "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        g = f.create_group("edges/cortex_to_cortex")
        cols = {
            "source_node_id": np.uint32, "target_node_id": np.uint32, "edge_type_id": np.uint16,
            "edge_group_id": np.uint8, "edge_group_index": np.uint32, "0/syn_weight": np.float32, "0/delay": np.float32,
        }
        ds = {c: g.create_dataset(c, (m,), dtype=t) for c, t in cols.items()}
        ds["source_node_id"].attrs["node_population"] = "cortex"
        ds["target_node_id"].attrs["node_population"] = "cortex"
        for a in range(0, m, block):
            b = min(m, a + block)
            src = rng.integers(0, n, b - a, dtype=np.uint32)
            exc = src < n_exc
            ds["source_node_id"][a:b] = src
            ds["target_node_id"][a:b] = (np.arange(a, b) // k).astype(np.uint32)
            ds["edge_type_id"][a:b] = np.where(exc, 200, 201).astype(np.uint16)
            ds["edge_group_id"][a:b] = 0
            ds["edge_group_index"][a:b] = np.arange(a, b, dtype=np.uint32)
            ds["0/syn_weight"][a:b] = np.where(exc, 1.0, -5.0).astype(np.float32) * rng.uniform(0.5, 1.5, b - a).astype(np.float32)
            ds["0/delay"][a:b] = rng.uniform(1.0, 3.0, b - a).astype(np.float32)
    with open(os.path.join(net, "edge_types.csv"), "w") as t:
        t.write("edge_type_id model_template\n200 static_synapse\n201 static_synapse\n")
    with open(os.path.join(d, "circuit_config.json"), "w") as c:
        c.write('{"manifest": {"$NETWORK_DIR": "$BASE_DIR/network"}, "networks": {'
                '"nodes": [{"nodes_file": "$NETWORK_DIR/nodes.h5", "node_types_file": "$NETWORK_DIR/node_types.csv"}], '
                '"edges": [{"edges_file": "$NETWORK_DIR/edges.h5", "edge_types_file": "$NETWORK_DIR/edge_types.csv"}]}}\n')


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    return wall, int(out.stderr.strip().splitlines()[-1]) * 1024, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--indegree", type=int, default=100)
    ap.add_argument("--dir", default=os.path.expanduser("~/.cache/neuroplast/sonata-bench"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    d = os.path.join(a.dir, f"n{a.neurons}_k{a.indegree}")
    if not os.path.exists(os.path.join(d, "circuit_config.json")):
        t = time.perf_counter()
        generate(d, a.neurons, a.indegree)
        print(f"generated {d} with h5py in {time.perf_counter() - t:.1f} s")
    exe = np_common.neuroplast_binary()
    work = os.path.join(a.dir, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    scene = os.path.join(work, "big.ron")
    m = a.neurons * a.indegree
    network = m * 10 + a.neurons * 106
    rows = []
    for _ in range(a.runs):
        wall_i, rss_i, _ = timed([exe, "import", os.path.join(d, "circuit_config.json"), "-o", scene])
        shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
        wall_e, rss_e, out = timed([exe, "export", scene, "--to", "sonata", "-o", os.path.join(work, "out")])
        ready, written = (float(x) for x in re.search(r"ready in ([\d.]+) s, written in ([\d.]+) s", out).groups())
        rows.append((wall_i, rss_i, wall_e, rss_e, ready, written))
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    med = lambda k: sorted(r[k] for r in rows)[len(rows) // 2]  # noqa: E731
    span = lambda k: f"{min(r[k] for r in rows):.1f}-{max(r[k] for r in rows):.1f}"  # noqa: E731
    print(f"CPU: {cpu}, {os.cpu_count()} cores; {a.runs} runs, median (range)")
    print(f"circuit: {a.neurons} neurons, {m} synapses; built network's arrays {network / 1e9:.2f} GB")
    print(f"import: {med(0):.1f} s ({span(0)}), peak {med(1) / 1e9:.2f} GB = {med(1) / network:.2f} x the network")
    print(f"export: network ready (read from the circuit) in {med(4):.1f} s ({span(4)}), written in {med(5):.1f} s "
          f"({span(5)}); the command {med(2):.1f} s ({span(2)}), peak {med(3) / 1e9:.2f} GB = {med(3) / network:.2f} x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
