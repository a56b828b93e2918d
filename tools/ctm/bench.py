"""Speed of the maze CTM forward pass: PyTorch vs the Rust binary, same weights, batch 1, one thread.

    python3 tools/ctm/bench.py [--model assets/ctm] [--iters 200]

Loads assets/ctm (config.json + weights.safetensors) into tools/ctm/model.py, times
`torch.inference_mode()` forwards of single 5×5-cell mazes with torch.set_num_threads(1), then runs
`neuroplast ctm bench --json` (built with `cargo build --release --no-default-features` if absent)
and prints both timings and the ratio.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import maze as mz  # noqa: E402
from model import CTM  # noqa: E402


def load_model(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    model = CTM(cfg)
    sd = load_file(os.path.join(folder, "weights.safetensors"))
    model.load_state_dict(sd)
    return model.eval(), cfg


def rust_binary():
    path = os.environ.get("NEUROPLAST_BIN", os.path.join(REPO, "target", "release", "neuroplast"))
    if not os.path.exists(path):
        subprocess.check_call(["cargo", "build", "--release", "--no-default-features"], cwd=REPO)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(REPO, "assets", "ctm"))
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--cells", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, cfg = load_model(args.model)
    rng = np.random.default_rng(5)
    xs = [torch.from_numpy(mz.render(*mz.sample(args.cells, rng)[:3], cfg["canvas"]))[None] for _ in range(16)]
    with torch.inference_mode():
        for i in range(max(5, args.iters // 10)):
            model(xs[i % 16])
        t0 = time.perf_counter()
        for i in range(args.iters):
            model(xs[i % 16])
        torch_s = (time.perf_counter() - t0) / args.iters
    out = subprocess.run([rust_binary(), "ctm", "bench", "--json", "--iters", str(args.iters), "--cells", str(args.cells),
                          "--model", args.model], check=True, capture_output=True, text=True, cwd=REPO).stdout
    rust = json.loads(out)
    rust_s = rust["seconds_per_forward"]
    T = cfg["ticks"]
    print(f"CTM forward, batch 1, one thread, {T} ticks, {args.cells}x{args.cells}-cell mazes, {args.iters} iterations")
    print(f"  PyTorch {torch.__version__}: {torch_s * 1e3:8.3f} ms per maze  ({torch_s / T * 1e6:8.1f} µs per tick, featuriser included)")
    print(f"  Rust:            {rust_s * 1e3:8.3f} ms per maze  (featuriser + K/V {rust['seconds_featuriser'] * 1e3:.3f} ms, "
          f"{rust['seconds_per_tick'] * 1e6:.1f} µs per tick)")
    print(f"  Rust is {torch_s / rust_s:.1f}x faster")


if __name__ == "__main__":
    main()
