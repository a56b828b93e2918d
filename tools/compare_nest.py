#!/usr/bin/env python3
"""Structural plasticity against a simulator we did not write: NEST's structural-plasticity example
(pynest/examples/structural_plasticity.py; ALGORITHMS.md section 9) and neuroplast's
scenes/msp_nest.ron on the same setup: 800 E + 200 I iaf_psc_alpha neurons with NEST's defaults,
no initial synapses, a 10 kHz Poisson train of 6.2 pA per neuron, gaussian growth curves, 585 pA
synapses with 1 ms delay, dt 0.1 ms, 200 s. Prints both curves (population-mean calcium, rates and
synapse counts) and checks that our means over 150-200 s are within 10 % of NEST's. Installs NEST
into a private virtualenv on first use; both simulations run at low priority.

    python3 tools/compare_nest.py [--interval-ms 100] [--seed 1] [--duration-s 200] [--every-s 5]
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np_common  # noqa: E402

np_common.ensure_nest()

TOLERANCE = 0.10
COLUMNS = ["ca_E", "ca_I", "rate_hz_E", "rate_hz_I", "syn_E", "syn_I"]


def nest_run(interval_ms, seed, duration_s, out_path):
    """The example as NEST runs it, recorded every second; run in a child process so NEST's own
    start-up messages stay out of the table. Writes CSV rows to out_path."""
    code = f"""
import csv, numpy, nest
try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({{"resolution": 0.1, "rng_seed": {seed}}})
nest.structural_plasticity_update_interval = {interval_ms}
nest.CopyModel("static_synapse", "synapse_ex")
nest.SetDefaults("synapse_ex", {{"weight": 585.0, "delay": 1.0}})
nest.CopyModel("static_synapse", "synapse_in")
nest.SetDefaults("synapse_in", {{"weight": -585.0, "delay": 1.0}})
nest.structural_plasticity_synapses = {{
    "synapse_ex": {{"synapse_model": "synapse_ex", "post_synaptic_element": "Den_ex", "pre_synaptic_element": "Axon_ex"}},
    "synapse_in": {{"synapse_model": "synapse_in", "post_synaptic_element": "Den_in", "pre_synaptic_element": "Axon_in"}},
}}
def g(nu, eps):
    return {{"growth_curve": "gaussian", "growth_rate": nu, "continuous": False, "eta": 0.0, "eps": eps}}
el_e = {{"Den_ex": g(1e-4, 0.05), "Den_in": g(1e-4, 0.05), "Axon_ex": g(1e-4, 0.05)}}
el_i = {{"Den_ex": g(4e-4, 0.2), "Den_in": g(1e-4, 0.2), "Axon_in": g(1e-4, 0.2)}}
e = nest.Create("iaf_psc_alpha", 800, {{"synaptic_elements": el_e}})
i = nest.Create("iaf_psc_alpha", 200, {{"synaptic_elements": el_i}})
noise = nest.Create("poisson_generator", params={{"rate": 10000.0}})
nest.Connect(noise, e + i, "all_to_all", {{"weight": 6.2, "delay": 1.0}})
sr_e, sr_i = nest.Create("spike_recorder"), nest.Create("spike_recorder")
nest.Connect(e, sr_e)
nest.Connect(i, sr_i)
nest.EnableStructuralPlasticity()
with open({out_path!r}, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["time_s"] + {COLUMNS!r})
    for k in range({duration_s}):
        nest.Simulate(1000.0)
        ne, ni = sr_e.n_events, sr_i.n_events
        sr_e.n_events = 0
        sr_i.n_events = 0
        se, si = e.get("synaptic_elements"), i.get("synaptic_elements")
        w.writerow([k + 1, numpy.mean(e.get("Ca")), numpy.mean(i.get("Ca")), ne / 800.0, ni / 200.0,
                    sum(x["Axon_ex"]["z_connected"] for x in se), sum(x["Axon_in"]["z_connected"] for x in si)])
        f.flush()
"""
    subprocess.run(["nice", "-n", "10", sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def ours_cmd(exe, interval_ms, seed, duration_s, scene_path, out_path):
    """neuroplast on scenes/msp_nest.ron with the same interval; its growth log has the same columns."""
    return ["nice", "-n", "10", exe, "run", scene_path, "--seed", str(seed), "--duration", f"{duration_s}s",
            "--threads", "1", "--growth-log", out_path, "--json"]


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    return [dict(zip(head, map(float, r))) for r in body]


def ours_rows(path):
    """Our log's columns renamed to the shared ones."""
    names = {"ca_E": "ca_E", "ca_I": "ca_I", "rate_hz_E": "rate_hz_E", "rate_hz_I": "rate_hz_I",
             "synapses_synapse_ex": "syn_E", "synapses_synapse_in": "syn_I"}
    return [{"time_s": r["time_s"], **{names[k]: v for k, v in r.items() if k in names}} for r in read(path)]


def window_mean(rows, key, t0, t1):
    vals = [r[key] for r in rows if t0 < r["time_s"] <= t1]
    return sum(vals) / len(vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval-ms", type=float, default=100.0, help="structural update interval")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration-s", type=int, default=200)
    ap.add_argument("--every-s", type=int, default=5, help="print every this many seconds")
    ap.add_argument("--keep", help="directory to keep both CSV logs in")
    args = ap.parse_args()
    exe = np_common.neuroplast_binary()
    tmp = args.keep or tempfile.mkdtemp(prefix="np-nest-")
    os.makedirs(tmp, exist_ok=True)
    scene = open(os.path.join(np_common.REPO, "scenes", "msp_nest.ron")).read()
    scene = scene.replace('update_interval: "100 ms"', f'update_interval: "{args.interval_ms} ms"')
    scene_path = os.path.join(tmp, "msp_nest.ron")
    with open(scene_path, "w") as f:
        f.write(scene)
    nest_csv, ours_csv = os.path.join(tmp, "nest.csv"), os.path.join(tmp, "ours.csv")
    # Both simulators run at once (one core each).
    t0 = time.perf_counter()
    ours_proc = subprocess.Popen(ours_cmd(exe, args.interval_ms, args.seed, args.duration_s, scene_path, ours_csv),
                                 stdout=subprocess.PIPE, text=True)
    nest_run(args.interval_ms, args.seed, args.duration_s, nest_csv)
    t_nest = time.perf_counter() - t0
    out, _ = ours_proc.communicate()
    t_ours = time.perf_counter() - t0
    if ours_proc.returncode != 0:
        sys.exit("neuroplast failed")
    ours_json = json.loads(out)
    nest, ours = read(nest_csv), ours_rows(ours_csv)
    print(f"NEST 3.10 vs neuroplast, update interval {args.interval_ms:g} ms, seed {args.seed}, "
          f"{args.duration_s} s (NEST {t_nest:.0f} s wall, neuroplast {ours_json['sim_s']:.0f} s sim)")
    print(f"{'t (s)':>6} | {'Ca_E':>7} {'Ca_I':>7} {'E Hz':>6} {'I Hz':>6} {'E syn':>6} {'I syn':>6} |"
          f" {'Ca_E':>7} {'Ca_I':>7} {'E Hz':>6} {'I Hz':>6} {'E syn':>6} {'I syn':>6}")
    print(f"{'':>6} | {'NEST':^44} | {'neuroplast':^44}")
    for a, b in zip(nest, ours):
        if int(a["time_s"]) % args.every_s == 0:
            cells = lambda r: f"{r['ca_E']:7.4f} {r['ca_I']:7.4f} {r['rate_hz_E']:6.2f} {r['rate_hz_I']:6.2f} {r['syn_E']:6.0f} {r['syn_I']:6.0f}"
            print(f"{a['time_s']:6.0f} | {cells(a)} | {cells(b)}")
    first = lambda rows: next((r["time_s"] for r in rows if r["syn_E"] + r["syn_I"] > 0), float("nan"))
    print(f"first synapses at: NEST {first(nest):.0f} s, neuroplast {first(ours):.0f} s")
    lo, hi = 0.75 * args.duration_s, args.duration_s
    print(f"\nmeans over {lo:.0f}-{hi:.0f} s   {'NEST':>9} {'neuroplast':>11} {'diff':>7}")
    ok = True
    for key in COLUMNS:
        a, b = window_mean(nest, key, lo, hi), window_mean(ours, key, lo, hi)
        rel = (b - a) / a if a != 0 else (0.0 if b == 0 else float("inf"))
        good = abs(rel) <= TOLERANCE
        ok &= good
        print(f"  {key:<18} {a:>9.4f} {b:>11.4f} {100 * rel:>+6.1f}% {'ok' if good else 'FAIL'}")
    print(f"\n{'PASS' if ok else 'FAIL'}: every mean within {100 * TOLERANCE:.0f} % of NEST's")
    if args.keep:
        print(f"logs kept in {tmp}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
