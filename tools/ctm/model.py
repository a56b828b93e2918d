"""The Continuous Thought Machine for mazes (CTM.md §1, Darlow et al. 2025), sized "tiny".

The Rust forward pass (`src/ctm/model.rs`) mirrors this file operation for operation; the golden
vectors exported by `export.py` check that.

Per forward: featuriser (3×3 convs, stride 1, then the features at the cell centres as tokens) +
learned per-token positional embedding (a documented deviation: the paper uses none) -> kv = LayerNorm(Linear(features)),
then K and V of the attention projected once. Per tick t = 1..T:
  S_act = action sync of z^0..z^{t-1};  q = q_proj(LN(S_act))
  o = MultiheadAttention(q, K, V) (one query token; weights kept per head)
  a = LayerNorm(GLU(Linear(cat(o, z^{t-1}))))                      synapse, depth 1
  A = [A[:, 1:], a]                                                 pre-activation history (M)
  z = GLU((W2_d · GLU((W1_d · A_d + b1_d) / τ1) + b2_d) / τ2)       per-neuron deep NLM
  S_out = out sync of z^0..z^t;  y = out_proj(LN(S_out)) -> (k, 5);  C = 1 - mean_s H(y_s)/ln 5
Sync over pairs (i, j) with learnable decay r ∈ [0, 15]: α ← e^{-r} α + z_i z_j, β ← e^{-r} β + 1,
S = α / sqrt(β), both seeded with z^0.
The LayerNorms on the two sync vectors (config `sync_layernorm`) are a deviation from the paper:
at this size the raw sync values are ~1e-3 at init, so the query is tiny, attention stays uniform
and the output ignores the input for thousands of steps; normalising them fixes that.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def default_config(**over):
    """The shipped model's hyper-parameters (also written to config.json)."""
    cfg = dict(
        canvas=19,          # input canvas side in pixels (mazes up to 9×9 cells)
        in_channels=3,
        conv_channels=32,
        conv_layers=3,
        d_input=64,         # attention width
        heads=4,
        d_model=128,        # neurons D
        memory=8,           # pre-activation history M
        nlm_hidden=8,       # h
        n_sync_out=128,
        n_sync_action=64,
        ticks=24,
        route_len=16,       # k
        n_classes=5,
        ln_eps=1e-5,
        pair_seed=0,
        sync_layernorm=True,  # LayerNorm on S_action / S_out before q_proj / out_proj (deviation)
    )
    cfg.update(over)
    return cfg


class SuperLinear(nn.Module):
    """Per-neuron linear map: x (B, D, in) -> (B, D, out) with weights (in, out, D), then / T."""

    def __init__(self, d_in, d_out, n):
        super().__init__()
        bound = 1.0 / math.sqrt(d_in + d_out)
        self.w = nn.Parameter(torch.empty(d_in, d_out, n).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(1, n, d_out))
        self.temp = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return (torch.einsum("BDM,MHD->BDH", x, self.w) + self.b) / self.temp


class CTM(nn.Module):
    """Continuous Thought Machine for route prediction on a maze image."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C, P = cfg["conv_channels"], cfg["canvas"]
        D, M, h = cfg["d_model"], cfg["memory"], cfg["nlm_hidden"]
        di = cfg["d_input"]
        convs = []
        cin = cfg["in_channels"]
        for _ in range(cfg["conv_layers"]):
            convs.append(nn.Conv2d(cin, C, 3, padding=1))
            cin = C
        self.convs = nn.ModuleList(convs)
        self.n_tokens = ((P - 1) // 2) ** 2
        self.pos_emb = nn.Parameter(torch.randn(self.n_tokens, C) * 0.1)
        self.kv_proj = nn.Linear(C, di)
        self.kv_ln = nn.LayerNorm(di, eps=cfg["ln_eps"])
        self.q_proj = nn.Linear(cfg["n_sync_action"], di)
        # nn.MultiheadAttention's parameters, kept separate so K/V are projected once.
        self.attn_in_w = nn.Parameter(torch.empty(3 * di, di))
        nn.init.xavier_uniform_(self.attn_in_w)
        self.attn_in_b = nn.Parameter(torch.zeros(3 * di))
        self.attn_out = nn.Linear(di, di)
        self.syn = nn.Linear(di + D, 2 * D)
        self.syn_ln = nn.LayerNorm(D, eps=cfg["ln_eps"])
        self.nlm1 = SuperLinear(M, 2 * h, D)
        self.nlm2 = SuperLinear(h, 2, D)
        self.z_init = nn.Parameter(torch.empty(D).uniform_(-math.sqrt(1 / D), math.sqrt(1 / D)))
        bound = math.sqrt(1 / (D + M))
        self.hist_init = nn.Parameter(torch.empty(D, M).uniform_(-bound, bound))
        g = torch.Generator().manual_seed(cfg["pair_seed"])
        for name, n in (("out", cfg["n_sync_out"]), ("action", cfg["n_sync_action"])):
            self.register_buffer(f"pairs_{name}_i", torch.randint(0, D, (n,), generator=g, dtype=torch.int32))
            self.register_buffer(f"pairs_{name}_j", torch.randint(0, D, (n,), generator=g, dtype=torch.int32))
            setattr(self, f"decay_{name}", nn.Parameter(torch.zeros(n)))
        self.out_proj = nn.Linear(cfg["n_sync_out"], cfg["route_len"] * cfg["n_classes"])
        if cfg.get("sync_layernorm", False):
            self.sync_action_ln = nn.LayerNorm(cfg["n_sync_action"], eps=cfg["ln_eps"])
            self.sync_out_ln = nn.LayerNorm(cfg["n_sync_out"], eps=cfg["ln_eps"])
        else:
            self.sync_action_ln = self.sync_out_ln = nn.Identity()

    def features(self, x):
        """Tokens (B, N, C) from the input image (B, 3, P, P): the conv features at the cell
        centres (odd pixel coordinates, a stride-2 subsampling: N = ((P-1)/2)²), row-major, plus
        the positional embedding."""
        for conv in self.convs:
            x = F.relu(conv(x))
        return x[:, :, 1::2, 1::2].flatten(2).transpose(1, 2) + self.pos_emb

    def forward(self, x, track=False):
        """Returns logits (B, T, k, 5) and certainty (B, T); with track, also a dict of per-tick
        intermediates (attention (B,T,H,N), pre (B,T,D), post (B,T,D), sync_out, sync_action)."""
        cfg = self.cfg
        B = x.shape[0]
        D, H, di = cfg["d_model"], cfg["heads"], cfg["d_input"]
        dh = di // H
        kv = self.kv_ln(self.kv_proj(self.features(x)))  # B, N, di
        N = kv.shape[1]
        wq, wk, wv = self.attn_in_w.split(di)
        bq, bk, bv = self.attn_in_b.split(di)
        K = F.linear(kv, wk, bk).view(B, N, H, dh).permute(0, 2, 3, 1).contiguous()  # B, H, dh, N
        V = F.linear(kv, wv, bv).view(B, N, H, dh).transpose(1, 2)
        z = self.z_init.unsqueeze(0).expand(B, D)
        hist = self.hist_init.unsqueeze(0).expand(B, D, cfg["memory"])
        ea = torch.exp(-self.decay_action.clamp(0, 15))
        eo = torch.exp(-self.decay_out.clamp(0, 15))
        ai, aj = self.pairs_action_i.long(), self.pairs_action_j.long()
        oi, oj = self.pairs_out_i.long(), self.pairs_out_j.long()
        alpha_a = z[:, ai] * z[:, aj]
        beta_a = torch.ones_like(alpha_a)
        alpha_o = z[:, oi] * z[:, oj]
        beta_o = torch.ones_like(alpha_o)
        logits_all, cert_all = [], []
        tr = {k: [] for k in ("attention", "pre", "post", "sync_out", "sync_action")}
        scale = 1.0 / math.sqrt(dh)
        for _ in range(cfg["ticks"]):
            s_act = alpha_a / torch.sqrt(beta_a)
            q = F.linear(self.q_proj(self.sync_action_ln(s_act)), wq, bq).view(B, H, 1, dh)
            att = torch.softmax((q @ K) * scale, dim=-1)  # B, H, 1, N
            o = (att @ V).reshape(B, di)
            o = self.attn_out(o)
            a = self.syn_ln(F.glu(self.syn(torch.cat([o, z], dim=-1)), dim=-1))
            hist = torch.cat([hist[:, :, 1:], a.unsqueeze(-1)], dim=-1)
            z = F.glu(self.nlm2(F.glu(self.nlm1(hist), dim=-1)), dim=-1).squeeze(-1)
            alpha_a = ea * alpha_a + z[:, ai] * z[:, aj]
            beta_a = ea * beta_a + 1
            alpha_o = eo * alpha_o + z[:, oi] * z[:, oj]
            beta_o = eo * beta_o + 1
            s_out = alpha_o / torch.sqrt(beta_o)
            y = self.out_proj(self.sync_out_ln(s_out)).view(B, cfg["route_len"], cfg["n_classes"])
            logp = F.log_softmax(y, dim=-1)
            ent = -(logp.exp() * logp).sum(-1) / math.log(cfg["n_classes"])
            logits_all.append(y)
            cert_all.append(1 - ent.mean(-1))
            if track:
                tr["attention"].append(att.squeeze(2))
                tr["pre"].append(a)
                tr["post"].append(z)
                tr["sync_out"].append(s_out)
                tr["sync_action"].append(s_act)
        logits = torch.stack(logits_all, 1)
        cert = torch.stack(cert_all, 1)
        if track:
            return logits, cert, {k: torch.stack(v, 1) for k, v in tr.items()}
        return logits, cert


def maze_loss(logits, cert, targets, lookahead=5):
    """The paper's loss: auto-curriculum CE (positions up to the longest correct prefix over ticks
    plus `lookahead`), mean of the CE at the min-loss tick and at the most certain tick.
    logits (B, T, k, 5), cert (B, T), targets (B, k). Returns (loss, most-certain tick (B,))."""
    B, T, k, C = logits.shape
    tgt = targets.unsqueeze(1).expand(B, T, k)
    ce = F.cross_entropy(logits.reshape(-1, C), tgt.reshape(-1), reduction="none").view(B, T, k)
    with torch.no_grad():
        correct = logits.argmax(-1) == tgt  # B, T, k
        prefix = correct.long().cumprod(-1).sum(-1)  # B, T: leading correct positions
        upto = prefix.max(1).values + lookahead  # B
        mask = (torch.arange(k, device=logits.device).unsqueeze(0) < upto.unsqueeze(1)).float()  # B, k
    per_tick = (ce * mask.unsqueeze(1)).sum(-1) / mask.sum(-1, keepdim=True)  # B, T
    t1 = per_tick.argmin(1)
    t2 = cert.argmax(1)
    idx = torch.arange(B, device=logits.device)
    loss = ((per_tick[idx, t1] + per_tick[idx, t2]) / 2).mean()
    return loss, t2
