"""Train the maze CTM (see README.md in this folder).

    python3 tools/ctm/train.py --out tools/ctm/runs/a --minutes 90 --steps 20000
    python3 tools/ctm/train.py --out tools/ctm/runs/a --resume tools/ctm/runs/a/ckpt.pt --minutes 30

Fixed seeds: the data pool, pair indices, init and batch order are functions of --seed. The run
stops at --steps or after --minutes of wall time, whichever comes first, writing ckpt.pt and
exporting weights, config and golden vectors (export.py) into --export.
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import maze as mz  # noqa: E402
from model import CTM, default_config, maze_loss  # noqa: E402

SIZES = (3, 4, 5)
SIZE_P = (0.1, 0.2, 0.7)


def _gen_chunk(args):
    seed, chunk, count, k, passage_p = args
    rng = np.random.default_rng([seed, chunk])
    out = []
    for _ in range(count):
        n = int(rng.choice(SIZES, p=SIZE_P))
        grid, start, goal, route = mz.sample(n, rng, passage_start_p=passage_p)
        out.append((grid, start, goal, mz.route_targets(route, k)))
    return out


def make_pool(seed, size, k, passage_p, workers):
    """`size` training mazes, generated in chunks of 1000 (deterministic per seed and chunk)."""
    chunks = [(seed, c, min(1000, size - c * 1000), k, passage_p) for c in range((size + 999) // 1000)]
    if workers > 1:
        with mp.Pool(workers) as p:
            parts = p.map(_gen_chunk, chunks)
    else:
        parts = [_gen_chunk(c) for c in chunks]
    return [m for part in parts for m in part]


LABEL_MAPS = np.stack(mz.symmetry_label_maps())


def make_batch(pool, idx, canvas, rng, augment=True):
    """Inputs (B, 3, P, P) and targets (B, k): random even offset on the canvas, random symmetry."""
    xs, ts = [], []
    for i in idx:
        grid, start, goal, tgt = pool[i]
        span = canvas - grid.shape[0]
        oy, ox = (2 * int(rng.integers(span // 2 + 1)), 2 * int(rng.integers(span // 2 + 1))) if augment else (0, 0)
        img = mz.render(grid, start, goal, canvas, (oy, ox))
        if augment:
            s = int(rng.integers(8))
            img = mz.apply_symmetry_np(img, s)
            tgt = LABEL_MAPS[s][tgt]
        xs.append(img)
        ts.append(tgt)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ts))


def eval_set(seed, count, n, k):
    """Held-out mazes (cells n, start/goal cells), from a data seed never used for training."""
    rng = np.random.default_rng([seed, 999_999])
    return [(*m[:3], mz.route_targets(m[3], k), m[3]) for m in (mz.sample(n, rng) for _ in range(count))]


@torch.no_grad()
def evaluate(model, mazes, canvas, k, max_apps=20, batch=256):
    """Per-step and full-route accuracy at the most certain tick, and goal reach with
    re-application (the same rules as `neuroplast ctm eval`)."""
    model.eval()
    correct = solved = 0
    for b in range(0, len(mazes), batch):
        part = mazes[b:b + batch]
        x = torch.from_numpy(np.stack([mz.render(g, s, t, canvas) for g, s, t, _, _ in part]))
        tg = torch.from_numpy(np.stack([m[3] for m in part]))
        logits, cert = model(x)
        best = cert.argmax(1)
        pred = logits[torch.arange(len(part)), best].argmax(-1)
        correct += (pred == tg).sum().item()
        solved += (pred == tg).all(-1).sum().item()
    # Goal reach: batched over the mazes still walking.
    pos = [m[1] for m in mazes]
    done = [False] * len(mazes)
    reached = 0
    for _ in range(max_apps):
        live = [i for i in range(len(mazes)) if not done[i]]
        if not live:
            break
        for b in range(0, len(live), batch):
            part = live[b:b + batch]
            x = torch.from_numpy(np.stack([mz.render(mazes[i][0], pos[i], mazes[i][2], canvas) for i in part]))
            logits, cert = model(x)
            pred = logits[torch.arange(len(part)), cert.argmax(1)].argmax(-1).numpy()
            for row, i in enumerate(part):
                p, ok, moved = mz.walk(mazes[i][0], pos[i], mazes[i][2], pred[row])
                pos[i] = p
                if ok:
                    reached += 1
                    done[i] = True
                elif moved == 0:
                    done[i] = True  # the same input again would give the same route
    model.train()
    total = len(mazes)
    return dict(step_acc=correct / (total * k), route_acc=solved / total, goal_reach=reached / total)


def lr_at(step, args, p_time=0.0):
    """Linear warm-up, then cosine decay over the planned steps or, with --anneal-minutes, over
    the training wall time (whichever is further along)."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(1.0, max(p_time, (step - args.warmup) / max(1, args.steps - args.warmup)))
    return args.lr_min + 0.5 * (args.lr - args.lr_min) * (1 + math.cos(math.pi * p))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run folder (checkpoint, log)")
    ap.add_argument("--export", default=None, help="folder for weights/config/golden (default: --out)")
    ap.add_argument("--resume", default=None)
    ap.add_argument("--init-from", default=None,
                    help="start from another checkpoint's weights (fresh optimiser and schedule); a positional "
                         "embedding of another canvas is mapped by clamping token coordinates")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20000, help="planned steps (sets the cosine schedule)")
    ap.add_argument("--minutes", type=float, default=1e9, help="stop after this wall time")
    ap.add_argument("--anneal-minutes", type=float, default=None,
                    help="run the cosine schedule over this much training wall time, summed over resumes "
                         "(adapts to a shared, loaded machine); training stops when it is spent")
    ap.add_argument("--prior-minutes", type=float, default=0.0,
                    help="training time already spent when resuming a checkpoint that does not record it")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--pool", type=int, default=100_000)
    ap.add_argument("--passage-start", type=float, default=0.2)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-mazes", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--config", default="{}", help="JSON overrides of the model config")
    args = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    export_dir = args.export or args.out

    ck = torch.load(args.resume, weights_only=False) if args.resume else None
    cfg = ck["cfg"] if ck else default_config(**json.loads(args.config))
    torch.manual_seed(args.seed)
    model = CTM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    step = 0
    prior_s = 0.0
    rng = np.random.default_rng([args.seed, 1])
    if ck:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        prior_s = ck.get("train_seconds", args.prior_minutes * 60)
        rng.bit_generator.state = ck["np_rng"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {args.resume} at step {step}", file=sys.stderr)
    if args.init_from and not ck:
        src = torch.load(args.init_from, weights_only=False)["model"]
        pe = src["pos_emb"]
        g_src, g_dst = int(round(pe.shape[0] ** 0.5)), int(round(model.pos_emb.shape[0] ** 0.5))
        if g_src != g_dst:
            idx = [min(r, g_src - 1) * g_src + min(c, g_src - 1) for r in range(g_dst) for c in range(g_dst)]
            src["pos_emb"] = pe[idx].clone()
        model.load_state_dict(src)
        print(f"initialised from {args.init_from} (tokens {g_src}² -> {g_dst}²)", file=sys.stderr)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"CTM {nparams} parameters, config {json.dumps(cfg)}", file=sys.stderr)

    k, P = cfg["route_len"], cfg["canvas"]
    tp = time.time()
    pool = make_pool(args.seed, args.pool, k, args.passage_start, args.workers)
    print(f"pool of {len(pool)} mazes in {time.time() - tp:.1f} s", file=sys.stderr)
    held = eval_set(args.seed + 1000, args.eval_mazes, 5, k)
    log = open(os.path.join(args.out, "log.jsonl"), "a")

    def save():
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step, cfg=cfg,
                        train_seconds=train_s(),
                        np_rng=rng.bit_generator.state, torch_rng=torch.get_rng_state(), args=vars(args)),
                   os.path.join(args.out, "ckpt.tmp"))
        os.replace(os.path.join(args.out, "ckpt.tmp"), os.path.join(args.out, "ckpt.pt"))

    deadline = t0 + args.minutes * 60
    t_loop = time.time()

    def train_s():
        return prior_s + time.time() - t_loop

    def p_time():
        return train_s() / (args.anneal_minutes * 60) if args.anneal_minutes else 0.0

    bar = tqdm(total=args.steps, initial=step, dynamic_ncols=True, mininterval=5)
    ema = None
    while step < args.steps and time.time() < deadline and p_time() < 1.0:
        idx = rng.integers(len(pool), size=args.batch)
        x, t = make_batch(pool, idx, P, rng)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args, p_time())
        logits, cert = model(x)
        loss, best = maze_loss(logits, cert, t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        step += 1
        with torch.no_grad():
            acc = (logits[torch.arange(len(t)), best].argmax(-1) == t).float().mean().item()
        ema = acc if ema is None else 0.98 * ema + 0.02 * acc
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{ema:.3f}", lr=f"{lr_at(step, args, p_time()):.1e}")
        if step % args.ckpt_every == 0:
            save()
        if step % args.eval_every == 0:
            ev = evaluate(model, held, P, k)
            ev.update(step=step, loss=loss.item(), train_acc=ema, wall_s=round(time.time() - t0, 1))
            log.write(json.dumps(ev) + "\n")
            log.flush()
            tqdm.write(json.dumps(ev))
    bar.close()
    save()
    ev = evaluate(model, held, P, k)
    ev.update(step=step, final=True, wall_s=round(time.time() - t0, 1))
    log.write(json.dumps(ev) + "\n")
    log.close()
    print(json.dumps(ev), file=sys.stderr)
    from export import export
    export(model, cfg, export_dir, extra=dict(train_steps=step, train_seed=args.seed, batch=args.batch,
                                              held_out=ev))
    print(f"exported to {export_dir} ({time.time() - t0:.0f} s total)", file=sys.stderr)


if __name__ == "__main__":
    main()
