#!/usr/bin/env python3
"""The graph measures of `neuroplast graph` computed by networkx (private virtualenv, installed on
first use) on the same graphs, written as the reference fixtures tests/graph_measures.rs holds
ours to: tests/fixtures/networkx/<name>.json.

Each graph is what `neuroplast export SCENE --at T --to graphml` writes: chemical synapses summed
per ordered pair into one directed edge of weight sum |w| (excitatory and inhibitory entries of a
pair merged), electrical couplings left out. The undirected graph beneath sums both directions and
drops self-loops; the measures that networkx defines only without self-loops (triads, cores) get
the graph without them.

    python3 tools/compare_networkx.py            # rewrite the three fixtures
    python3 tools/compare_networkx.py --check    # recompute and compare with neuroplast graph --json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_networkx()
import networkx as nx  # noqa: E402

FIXTURES = [
    ("celegans", "scenes/celegans.ron", "0ms"),
    ("random", "tests/fixtures/graph_random.ron", "0ms"),
    ("grown", "scenes/growth.ron", "3s"),
]


def directed(exe, scene, at):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "g.graphml")
        subprocess.check_output([exe, "export", scene, "--at", at, "--to", "graphml", "-o", path], text=True)
        raw = nx.read_graphml(path)
    g = nx.DiGraph()
    g.add_nodes_from(range(raw.number_of_nodes()))
    for u, v, d in raw.edges(data=True):
        if d["kind"] == "electrical":
            continue
        a, b = int(u[1:]), int(v[1:])
        w = abs(float(d["weight"]))
        if g.has_edge(a, b):
            g[a][b]["weight"] += w
            g[a][b]["count"] += int(d["count"])
        else:
            g.add_edge(a, b, weight=w, count=int(d["count"]))
    return g


def measures(g):
    n = g.number_of_nodes()
    order = list(range(n))
    plain = g.copy()
    plain.remove_edges_from(list(nx.selfloop_edges(plain)))
    u = nx.Graph()
    u.add_nodes_from(order)
    for a, b, d in plain.edges(data=True):
        if u.has_edge(a, b):
            u[a][b]["weight"] += d["weight"]
        else:
            u.add_edge(a, b, weight=d["weight"])
    sccs = sorted(nx.strongly_connected_components(g), key=len, reverse=True)
    s = g.subgraph(sccs[0]).copy()
    for a, b, d in s.edges(data=True):
        d["distance"] = 1.0 / d["weight"]
    communities = nx.community.louvain_communities(u, weight="weight", seed=1)
    label = [0] * n
    for k, c in enumerate(communities):
        for v in c:
            label[v] = k
    return {
        "networkx": nx.__version__,
        "nodes": n,
        "edges": g.number_of_edges(),
        "density": nx.density(g),
        "reciprocity": nx.overall_reciprocity(g),
        "in_degree": [g.in_degree(v) for v in order],
        "out_degree": [g.out_degree(v) for v in order],
        "in_strength": [g.in_degree(v, weight="weight") for v in order],
        "weak_components": sorted((len(c) for c in nx.weakly_connected_components(g)), reverse=True),
        "strong_components": [len(c) for c in sccs],
        "clustering": [nx.clustering(g, v) for v in order],
        "average_clustering": nx.average_clustering(g),
        "transitivity": nx.transitivity(u),
        "triads": nx.triadic_census(plain),
        "largest_scc": len(s),
        "mean_hops": nx.average_shortest_path_length(s),
        "mean_weighted": nx.average_shortest_path_length(s, weight="distance"),
        "diameter": nx.diameter(s),
        "core_number": [nx.core_number(plain)[v] for v in order],
        "rich_club": [c for _, c in sorted(nx.rich_club_coefficient(u, normalized=False).items())],
        "betweenness": [nx.betweenness_centrality(g)[v] for v in order],
        "louvain_modularity": nx.community.modularity(u, communities, weight="weight"),
        "louvain_communities": len(communities),
        "louvain_label": label,
    }


# Small-world fixtures: Watts–Strogatz rings (lattice, small world, random) and networkx's σ and ω
# of each with these efforts (fewer swaps than its defaults: its connectivity test is a max-flow).
SMALL_WORLD = {"n": 100, "k": 6, "graph_seed": 7, "niter_sigma": 20, "niter_omega": 5, "nrand": 5, "seed": 1}


def small_world_fixture():
    p = SMALL_WORLD
    graphs = []
    for rewire in (0.0, 0.1, 1.0):
        g = nx.connected_watts_strogatz_graph(p["n"], p["k"], rewire, seed=p["graph_seed"])
        sigma = nx.sigma(g, niter=p["niter_sigma"], nrand=p["nrand"], seed=p["seed"])
        omega = nx.omega(g, niter=p["niter_omega"], nrand=p["nrand"], seed=p["seed"])
        print(f"  Watts-Strogatz p = {rewire}: sigma {sigma:.4f}, omega {omega:.4f}")
        graphs.append({"p": rewire, "edges": sorted([min(a, b), max(a, b)] for a, b in g.edges()),
                       "sigma": sigma, "omega": omega, "transitivity": nx.transitivity(g),
                       "average_clustering": nx.average_clustering(g),
                       "path_length": nx.average_shortest_path_length(g)})
    return {"networkx": nx.__version__, **p, "graphs": graphs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="compare with `neuroplast graph --json` instead of writing")
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()
    out_dir = os.path.join(np_common.REPO, "tests/fixtures/networkx")
    os.makedirs(out_dir, exist_ok=True)
    os.chdir(np_common.REPO)
    failed = False
    for name, scene, at in FIXTURES:
        m = measures(directed(exe, scene, at))
        m["scene"], m["at"] = scene, at
        ours = json.loads(subprocess.check_output([exe, "graph", scene, "--at", at, "--json"], text=True))
        rows = [
            ("edges", m["edges"], ours["edges"]),
            ("reciprocity", m["reciprocity"], ours["reciprocity"]),
            ("largest SCC", m["largest_scc"], ours["largest_strong"]),
            ("clustering", m["average_clustering"], ours["clustering"]),
            ("transitivity", m["transitivity"], ours["transitivity"]),
            ("mean hops", m["mean_hops"], ours["paths"]["mean_hops"]),
            ("modularity", m["louvain_modularity"], ours["modularity"]),
            ("communities", m["louvain_communities"], ours["communities"]),
        ]
        print(f"{name} ({scene} at {at}): {m['nodes']} nodes")
        for k, theirs, mine in rows:
            print(f"  {k:<14} networkx {theirs:<22} neuroplast {mine}")
            tol = 0.02 if k == "modularity" else (None if k == "communities" else 1e-9)
            if tol is not None and abs(float(theirs) - float(mine)) > tol * max(1.0, abs(float(theirs))):
                failed = True
        if not args.check:
            with open(os.path.join(out_dir, name + ".json"), "w") as f:
                json.dump(m, f, indent=0)
                f.write("\n")
    if not args.check:
        print("small world (networkx sigma / omega):")
        with open(os.path.join(out_dir, "small_world.json"), "w") as f:
            json.dump(small_world_fixture(), f, indent=0)
            f.write("\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
