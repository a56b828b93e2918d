"""Export a trained CTM for the Rust forward pass: weights.safetensors (f32 parameters, int32 pair
indices, names as in the PyTorch state dict), config.json, and golden.safetensors (8 mazes run
through PyTorch with every per-tick intermediate).

    python3 tools/ctm/export.py tools/ctm/runs/a/ckpt.pt assets/ctm
"""

import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import maze as mz  # noqa: E402
from model import CTM  # noqa: E402

GENERATOR = "dfs-backtracker-v1"
# (cells, data seed) of the golden mazes: sizes the canvas holds, start/goal cells.
GOLDEN = [(5, 1), (5, 2), (5, 3), (4, 4), (3, 5), (7, 6), (9, 7), (9, 8)]


def golden_mazes(canvas, k):
    out = []
    for n, seed in GOLDEN:
        n = n if n <= (canvas - 1) // 2 else 5  # sizes the canvas cannot hold become 5×5
        rng = np.random.default_rng([seed, 424242])
        grid, start, goal, route = mz.sample(n, rng)
        full = np.zeros((canvas, canvas), dtype=np.uint8)
        full[:grid.shape[0], :grid.shape[1]] = grid
        out.append((full, start, goal, mz.route_targets(route, k)))
    return out


@torch.no_grad()
def export(model, cfg, out_dir, extra=None):
    """Writes weights.safetensors, config.json and golden.safetensors into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    sd = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        sd[name] = t.to(torch.int32) if name.startswith("pairs_") else t.to(torch.float32)
    save_file(sd, os.path.join(out_dir, "weights.safetensors"))
    conf = dict(cfg)
    conf.update(
        format="neuroplast-ctm-v1",
        classes=["up", "down", "left", "right", "wait"],
        input="3 x canvas x canvas, RGB in [-1,1]: wall (0,0,0), open (1,1,1), start (1,0,0), goal (0,1,0); maze at top-left, wall outside",
        generator=GENERATOR,
        sync="random pairing; alpha <- exp(-clamp(decay,0,15)) alpha + z_i z_j, beta likewise + 1, S = alpha/sqrt(beta), seeded with z_init",
        positional_embedding="learned, one vector per token (cell centre of the canvas); a deviation from the paper",
    )
    if extra:
        conf["training"] = extra
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(conf, f, indent=1)
    P, k = cfg["canvas"], cfg["route_len"]
    mazes = golden_mazes(P, k)
    x = torch.from_numpy(np.stack([mz.render(g, s, t, P) for g, s, t, _ in mazes]))
    logits, cert, tr = model(x, track=True)
    gold = dict(
        inputs=x,
        grids=torch.from_numpy(np.stack([m[0] for m in mazes]).astype(np.int32)),
        starts=torch.tensor([m[1] for m in mazes], dtype=torch.int32),
        goals=torch.tensor([m[2] for m in mazes], dtype=torch.int32),
        targets=torch.from_numpy(np.stack([m[3] for m in mazes]).astype(np.int32)),
        logits=logits,
        certainty=cert,
        **tr,
    )
    save_file({k_: v.contiguous().float() if v.is_floating_point() else v.contiguous() for k_, v in gold.items()},
              os.path.join(out_dir, "golden.safetensors"))


def main():
    ck = torch.load(sys.argv[1], weights_only=False)
    model = CTM(ck["cfg"])
    model.load_state_dict(ck["model"])
    export(model, ck["cfg"], sys.argv[2], extra=dict(train_steps=ck["step"], train_seed=ck["args"]["seed"],
                                                     batch=ck["args"]["batch"]))
    print(f"exported step {ck['step']} to {sys.argv[2]}")


if __name__ == "__main__":
    main()
