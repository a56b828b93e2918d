#!/usr/bin/env python3
"""Writes the SONATA fixture of tests/sonata.rs with h5py, the way BMTK and the SONATA examples lay
a circuit out: a circuit config with a manifest, node and edge HDF5 files (chunked and gzipped
columns, several groups, string attributes), space-separated type tables, and dynamics_params
JSON files. Every value follows a formula the Rust test recomputes.

    python3 tools/make_sonata_fixture.py [OUT_DIR]   (default tests/fixtures/sonata)
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_sonata()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(np_common.REPO, "tests", "fixtures", "sonata")
net, comp = os.path.join(out, "network"), os.path.join(out, "components", "cell_models")
os.makedirs(net, exist_ok=True)
os.makedirs(comp, exist_ok=True)


def sonata_root(f):
    f.attrs["magic"] = np.uint32(0x0A7A)
    f.attrs["version"] = np.array([0, 1], dtype=np.uint32)


# v1: 12 nodes of two types interleaved (E: type 100, I: type 101), in two groups; lgn: 4 virtual.
types = np.array([100, 100, 101, 100, 101, 100, 100, 101, 100, 100, 101, 100], dtype=np.int64)
n = len(types)
groups = np.array([0] * 6 + [1] * 6, dtype=np.uint32)
index = np.array(list(range(6)) * 2, dtype=np.uint64)
with h5py.File(os.path.join(net, "v1_nodes.h5"), "w") as f:
    sonata_root(f)
    g = f.create_group("nodes/v1")
    g.create_dataset("node_type_id", data=types, chunks=(4,), compression="gzip")
    g.create_dataset("node_id", data=np.arange(n, dtype=np.uint64))
    g.create_dataset("node_group_id", data=groups)
    g.create_dataset("node_group_index", data=index)
    for gid in (0, 1):
        grp = g.create_group(str(gid))
        rows = np.arange(6) + 6 * gid  # node row of each group row
        grp.create_dataset("x", data=10.0 * rows)
        grp.create_dataset("y", data=(-5.0 * rows).astype(np.float32))
        grp.create_dataset("z", data=np.full(6, 3.5), chunks=(2,), compression="gzip")
        grp.create_dataset("rotation_angle_zaxis", data=np.zeros(6))
with h5py.File(os.path.join(net, "lgn_nodes.h5"), "w") as f:
    sonata_root(f)
    g = f.create_group("nodes/lgn")
    g.create_dataset("node_type_id", data=np.full(4, 200, dtype=np.uint16))
    g.create_dataset("node_group_id", data=np.zeros(4, dtype=np.uint8))
    g.create_dataset("node_group_index", data=np.arange(4, dtype=np.uint32))
    g.create_group("0")

with open(os.path.join(net, "v1_node_types.csv"), "w") as t:
    t.write("node_type_id model_type model_template dynamics_params pop_name location\n")
    t.write("100 point_neuron nest:iaf_psc_alpha exc.json e4 \"layer 4\"\n")
    t.write("101 point_neuron nest:iaf_psc_alpha inh.json i4 NULL\n")
with open(os.path.join(net, "lgn_node_types.csv"), "w") as t:
    t.write("node_type_id model_type pop_name\n200 virtual tw\n")
json.dump({"C_m": 239.0, "tau_m": 44.9, "E_L": -78.0, "V_th": -43.0, "V_reset": -55.0, "t_ref": 3.0, "I_e": 0.0},
          open(os.path.join(comp, "exc.json"), "w"))
json.dump({"C_m": 100.0, "tau_m": 10.0, "V_th": -50.0, "V_reset": -60.0, "tau_syn_in": 5.0},
          open(os.path.join(comp, "inh.json"), "w"))

# v1 -> v1: edge k from k % n to (3k + 1) % n, weight 0.5 + 0.25 k (every third negative), delay
# 1 + 0.1 (k % 5) ms; edges 0..29 in group 0 (per-edge weights and delays), 30..39 in group 1
# (weight and delay from the edge type, nsyns 2).
k = np.arange(40)
src, dst = k % n, (3 * k + 1) % n
w = 0.5 + 0.25 * k
w[k % 3 == 2] *= -1
d = 1.0 + 0.1 * (k % 5)
with h5py.File(os.path.join(net, "v1_v1_edges.h5"), "w") as f:
    sonata_root(f)
    g = f.create_group("edges/v1_to_v1")
    s = g.create_dataset("source_node_id", data=src.astype(np.uint64), chunks=(8,), compression="gzip")
    s.attrs["node_population"] = "v1"
    t = g.create_dataset("target_node_id", data=dst.astype(np.uint64))
    t.attrs["node_population"] = np.bytes_(b"v1")
    g.create_dataset("edge_type_id", data=np.where(k < 30, 300, 301).astype(np.int64))
    g.create_dataset("edge_group_id", data=np.where(k < 30, 0, 1).astype(np.uint16))
    g.create_dataset("edge_group_index", data=np.where(k < 30, k, k - 30).astype(np.uint64))
    g0 = g.create_group("0")
    g0.create_dataset("syn_weight", data=w[:30], chunks=(7,), compression="gzip")
    g0.create_dataset("delay", data=d[:30].astype(np.float32))
    g1 = g.create_group("1")
    g1.create_dataset("nsyns", data=np.full(10, 2, dtype=np.uint8))
    # lgn -> v1: 8 edges from lgn node j % 4 onto v1 node 2j (weight 2.0, delay 1.5 ms from the type).
    g = f.create_group("edges/lgn_to_v1")
    j = np.arange(8)
    s = g.create_dataset("source_node_id", data=(j % 4).astype(np.uint32))
    s.attrs["node_population"] = "lgn"
    t = g.create_dataset("target_node_id", data=(2 * j % n).astype(np.uint32))
    t.attrs["node_population"] = "v1"
    g.create_dataset("edge_type_id", data=np.full(8, 302, dtype=np.uint32))
    g.create_dataset("edge_group_id", data=np.zeros(8, dtype=np.uint32))
    g.create_dataset("edge_group_index", data=j.astype(np.uint32))
    g.create_group("0")
    # Electrical: v1 node i with i + 1 for even i (0.5 nS), listed once.
    g = f.create_group("edges/v1_gap")
    i = np.arange(0, n - 1, 2)
    g.create_dataset("source_node_id", data=i.astype(np.uint64)).attrs["node_population"] = "v1"
    g.create_dataset("target_node_id", data=(i + 1).astype(np.uint64)).attrs["node_population"] = "v1"
    g.create_dataset("edge_type_id", data=np.full(len(i), 303, dtype=np.uint32))
    g.create_dataset("edge_group_id", data=np.zeros(len(i), dtype=np.uint32))
    g.create_dataset("edge_group_index", data=np.arange(len(i), dtype=np.uint32))
    g.create_group("0").create_dataset("conductance", data=np.full(len(i), 0.5))
with open(os.path.join(net, "v1_v1_edge_types.csv"), "w") as t:
    t.write("edge_type_id model_template syn_weight delay dynamics_params\n")
    t.write("300 static_synapse NULL NULL e2e.json\n")
    t.write("301 static_synapse 1.25 2.0 e2e.json\n")
    t.write("302 static_synapse 2.0 1.5 NULL\n")
    t.write("303 gap_junction NULL NULL NULL\n")

config = {
    "manifest": {"$BASE_DIR": ".", "$NETWORK_DIR": "$BASE_DIR/network", "$COMPONENTS_DIR": "$BASE_DIR/components"},
    "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/cell_models", "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models"},
    "networks": {
        "nodes": [
            {"nodes_file": "$NETWORK_DIR/v1_nodes.h5", "node_types_file": "$NETWORK_DIR/v1_node_types.csv"},
            {"nodes_file": "$NETWORK_DIR/lgn_nodes.h5", "node_types_file": "$NETWORK_DIR/lgn_node_types.csv"},
        ],
        "edges": [{
            "edges_file": "$NETWORK_DIR/v1_v1_edges.h5",
            "edge_types_file": "$NETWORK_DIR/v1_v1_edge_types.csv",
            "populations": {"v1_to_v1": {"type": "chemical"}, "lgn_to_v1": {}, "v1_gap": {"type": "electrical"}},
        }],
    },
}
json.dump(config, open(os.path.join(out, "circuit_config.json"), "w"), indent=2)
json.dump({"manifest": {"$BASE_DIR": "."}, "network": "$BASE_DIR/circuit_config.json", "run": {"tstop": 100.0, "dt": 0.05}},
          open(os.path.join(out, "simulation_config.json"), "w"), indent=2)
print(f"wrote {out}")
