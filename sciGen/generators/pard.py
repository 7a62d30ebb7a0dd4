"""PARD: permutation-invariant autoregressive diffusion over graph blocks.

Zhao, Ding, Akoglu, "Pard: Permutation-invariant autoregressive diffusion for graph generation"
(NeurIPS 2024).  A graph is cut into blocks by the structural partial order (peel nodes by
higher-order degree, reverse; :mod:`sciGen.nn.partial_order`).  Generation is autoregressive over
blocks: a head predicts the next block's size (0 = stop), then one shared discrete diffusion (absorbing
noise, a few tens of steps) draws the new block's node types and its edges to all earlier nodes,
conditioned on the earlier blocks.  The denoiser is permutation-equivariant: graph-transformer layers
interleaved with PPGN layers.

Parallel training with a block-causal mask: each graph of N nodes becomes 2N tokens, a clean copy and
a noisy copy of every node.  A clean token of block s sees clean tokens of blocks ≤ s; a noisy token
of block t sees clean tokens of blocks < t and the noisy tokens of its own block.  Pairs (edges) follow
the same rule and PPGN's sum over the third node is restricted to nodes of level ≤ the pair's level,
so one forward pass trains every block's denoising step (each block at its own diffusion time) and
every block-size prediction, and what a block sees is exactly what it sees at sampling time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Sequence
from sciGen.generators.loss_steps import LossSteps
from sciGen.generators.optim import OptimConfig
from sciGen.nn.graph_transformer import GraphTransformerLayer
from sciGen.nn.mask_diffusion import MaskDiffusion
from sciGen.nn.partial_order import peel_blocks
from sciGen.nn.ppgn import PPGNLayer
from sciGen.nn.sinusoidal import SinusoidalScalar
from sciGen.nn.trainable import Trainable


@dataclass
class PARDConfig:
    n_node_types: int
    n_edge_types: int  # including "no edge" (id 0)
    max_nodes: int = 9
    degree_order: int = 3  # K of the higher-order degree (d_1 … d_K)
    d_model: int = 256
    d_edge: int = 64
    n_layers: int = 6
    n_heads: int = 8
    d_ff: int = 512
    dropout: float = 0.0
    diffusion_steps: int = 20
    edge_loss_weight: float = 2.0
    size_loss_weight: float = 1.0
    optim: OptimConfig = field(default_factory=OptimConfig)


@dataclass
class GraphBatch:
    """Padded block-causal layout of B graphs with M tokens each.

    x (B, M) node ids; e (B, M, M) edge ids; block (B, M); noisy (B, M) bool; valid (B, M) bool;
    sizes (B, S) the block sizes (0-padded) — block-size targets; n_blocks (B,).
    """

    x: torch.Tensor
    e: torch.Tensor
    block: torch.Tensor
    noisy: torch.Tensor
    valid: torch.Tensor
    sizes: torch.Tensor
    n_blocks: torch.Tensor
    decompose_s: float = 0.0  # time spent on the block decomposition while collating

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device | str) -> "GraphBatch":
        return GraphBatch(*(getattr(self, k).to(device, non_blocking=True) for k in
                            ("x", "e", "block", "noisy", "valid", "sizes", "n_blocks")), self.decompose_s)


def visibility(block: torch.Tensor, noisy: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(see (B, M, M): token i attends j, pair (B, M, M): pair (i, j) carries features).

    Clean i sees clean j of blocks ≤ its own; noisy i sees clean j of earlier blocks and noisy j of
    its own block.  Pairs: clean–clean, noisy–noisy within a block, noisy–clean to earlier blocks.
    """
    bi, bj = block[:, :, None], block[:, None, :]
    ni, nj = noisy[:, :, None], noisy[:, None, :]
    vv = valid[:, :, None] & valid[:, None, :]
    see = vv & ((~ni & ~nj & (bj <= bi)) | (ni & ~nj & (bj < bi)) | (ni & nj & (bj == bi)))
    pair = vv & ((~ni & ~nj) | (ni & nj & (bi == bj)) | (ni & ~nj & (bj < bi)) | (~ni & nj & (bi < bj)))
    return see, pair


class PARD(LossSteps, Trainable):
    """Reads graph Sequences (``tokens`` = node ids, ``edges`` = (N, N) edge ids); samples them."""

    input_kind = "graph"

    def __init__(self, config: PARDConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, PARDConfig) else from_dict(PARDConfig, config)
        self.cfg = cfg
        d, de = cfg.d_model, cfg.d_edge
        self.node_mask, self.edge_mask = cfg.n_node_types, cfg.n_edge_types  # absorbing-state ids
        self.node_emb = nn.Embedding(cfg.n_node_types + 1, d)
        self.edge_emb = nn.Embedding(cfg.n_edge_types + 1, de)
        self.block_emb = nn.Embedding(cfg.max_nodes + 1, d)
        self.kind_emb = nn.Embedding(2, d)  # clean / noisy
        self.pair_kind = nn.Embedding(3, de)  # clean–clean, noisy–noisy, noisy–clean
        self.t_enc, self.count_enc = SinusoidalScalar(d, 1e-3, 10.0), SinusoidalScalar(d, 1.0, 200.0)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.gt = nn.ModuleList(GraphTransformerLayer(d, de, cfg.n_heads, cfg.d_ff, cfg.dropout)
                                for _ in range(cfg.n_layers))
        self.ppgn = nn.ModuleList(PPGNLayer(d, de, 2 * de, cfg.dropout, 2 * cfg.max_nodes) for _ in range(cfg.n_layers))
        self.ln_h, self.ln_e = nn.LayerNorm(d), nn.LayerNorm(de)
        self.node_head = nn.Linear(d, cfg.n_node_types)
        self.edge_head = nn.Sequential(nn.Linear(de + d, de), nn.SiLU(), nn.Linear(de, cfg.n_edge_types))
        self.empty = nn.Parameter(torch.zeros(d))  # the prefix before block 0
        self.size_head = nn.Sequential(nn.Linear(2 * d, d), nn.SiLU(), nn.Linear(d, cfg.max_nodes + 1))
        self.diffusion = MaskDiffusion(cfg.diffusion_steps)
        self.nfe = 0  # network evaluations of the last sample() call: block sizes + denoising steps
        self.nfe_size = 0
        self.graph_nfe = self.graph_nfe_size = 0  # evaluations summed over the graphs each one evaluated

    # ----------------------------------------------------------------- network
    def forward(self, x: torch.Tensor, e: torch.Tensor, block: torch.Tensor, noisy: torch.Tensor,
                valid: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, M), e (B, M, M), block/noisy/valid (B, M), t (B, M) diffusion time of noisy tokens →
        (node logits (B, M, K_n), edge logits (B, M, M, K_e) symmetric, node features (B, M, D))."""
        see, pair = visibility(block, noisy, valid)
        temb = self.time_mlp(self.t_enc(t))
        h = (self.node_emb(x) + self.block_emb(block.clamp(max=self.cfg.max_nodes)) + self.kind_emb(noisy.long())
             + temb * noisy[..., None])
        ni, nj = noisy[:, :, None], noisy[:, None, :]
        kind = torch.where(ni & nj, 1, torch.where(ni | nj, 2, 0))
        ef = (self.edge_emb(e) + self.pair_kind(kind)) * pair[..., None]
        for gt, pp in zip(self.gt, self.ppgn):
            h = gt(h, ef, see)
            ef = pp(ef, h, pair, block)
        h = self.ln_h(h)
        es = self.ln_e(0.5 * (ef + ef.transpose(1, 2)))
        hs = h[:, :, None] + h[:, None, :]
        return self.node_head(h), self.edge_head(torch.cat([es, hs], -1)), h

    def size_logits(self, h: torch.Tensor, block: torch.Tensor, clean: torch.Tensor, upto: torch.Tensor
                    ) -> torch.Tensor:
        """Next-block-size logits (B, S, max_nodes + 1) after each prefix ``block ≤ upto[:, s]``
        (``upto`` (B, S); -1 = the empty prefix), pooled over clean tokens."""
        sel = (clean[:, None, :] & (block[:, None, :] <= upto[:, :, None])).to(h.dtype)  # (B, S, M)
        cnt = sel.sum(-1, keepdim=True)
        mean = (sel @ h) / cnt.clamp(min=1)
        mean = torch.where(cnt > 0, mean, self.empty.expand_as(mean))
        count = self.count_enc(cnt.squeeze(-1))
        return self.size_head(torch.cat([mean, count], -1))

    # ----------------------------------------------------------------- data
    def collate(self, seqs: list[Sequence]) -> GraphBatch:
        """Graph Sequences → the 2N-token block-causal layout, blocks by the structural partial order."""
        t0 = time.perf_counter()
        blocks = [peel_blocks(s.edges.numpy(), self.cfg.degree_order) for s in seqs]
        dt = time.perf_counter() - t0
        B, M = len(seqs), 2 * max(len(s) for s in seqs)
        S = max(int(b.max()) + 1 for b in blocks)
        x = torch.zeros(B, M, dtype=torch.long)
        e = torch.zeros(B, M, M, dtype=torch.long)
        block = torch.zeros(B, M, dtype=torch.long)
        noisy = torch.zeros(B, M, dtype=torch.bool)
        valid = torch.zeros(B, M, dtype=torch.bool)
        sizes = torch.zeros(B, S, dtype=torch.long)
        n_blocks = torch.zeros(B, dtype=torch.long)
        for i, (s, b) in enumerate(zip(seqs, blocks)):
            n = len(s)
            bt = torch.from_numpy(b)
            x[i, :2 * n] = s.tokens.repeat(2)
            e[i, :2 * n, :2 * n] = s.edges.repeat(2, 2)
            block[i, :2 * n] = bt.repeat(2)
            noisy[i, n:2 * n] = True
            valid[i, :2 * n] = True
            nb = int(b.max()) + 1
            sizes[i, :nb] = torch.bincount(bt, minlength=nb)
            n_blocks[i] = nb
        return GraphBatch(x, e, block, noisy, valid, sizes, n_blocks, dt)

    def transfer_batch_to_device(self, batch: GraphBatch, device: torch.device, dataloader_idx: int) -> GraphBatch:
        return batch.to(device)

    # ----------------------------------------------------------------- training
    def corrupt(self, batch: GraphBatch, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """The forward diffusion of every block at once, each at its own time t ~ U(0, 1].

        Returns xt (B, M), et (B, M, M) noisy ids, t (B, M) per-token time, node_masked (B, M) and
        edge_masked (B, M, M) (the elements to predict: masked nodes of noisy tokens, masked pairs with a
        noisy end — each pair's noise shared by (i, j) and (j, i))."""
        x, e, block, noisy, valid = batch.x, batch.e, batch.block, batch.noisy, batch.valid
        B, M = x.shape
        S = batch.sizes.shape[1]
        dev = x.device
        tb = torch.rand(B, S, generator=generator, device=dev).clamp(min=1e-3)  # one time per (graph, block)
        t_tok = torch.gather(tb, 1, block.clamp(max=S - 1)) * noisy
        xt, mx = self.diffusion.corrupt(x, t_tok, self.node_mask, generator=generator)
        mx &= noisy & valid
        xt = torch.where(noisy, xt, x)
        _, pair = visibility(block, noisy, valid)
        ni, nj = noisy[:, :, None], noisy[:, None, :]
        target = pair & (ni | nj) & ~torch.eye(M, dtype=torch.bool, device=dev)
        t_pair = torch.maximum(t_tok[:, :, None], t_tok[:, None, :])
        u = torch.rand(B, M, M, generator=generator, device=dev).triu(1)
        u = u + u.transpose(1, 2)
        et, me = self.diffusion.corrupt(e, t_pair, self.edge_mask, u=u)
        me &= target
        et = torch.where(target, et, e)
        return {"xt": xt, "et": et, "t": t_tok, "node_masked": mx, "edge_masked": me}

    def losses(self, batch: GraphBatch, generator: torch.Generator | None = None,
               noised: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """Node and edge denoising cross-entropy of every block at once, plus the block-size loss."""
        x, e, block, noisy, valid = batch.x, batch.e, batch.block, batch.noisy, batch.valid
        B, M = x.shape
        S = batch.sizes.shape[1]
        dev = x.device
        c = noised if noised is not None else self.corrupt(batch, generator)
        xt, et, t_tok, mx, me = c["xt"], c["et"], c["t"], c["node_masked"], c["edge_masked"]
        node_logits, edge_logits, h = self(xt, et, block, noisy, valid, t_tok)
        node_loss = F.cross_entropy(node_logits[mx], x[mx]) if mx.any() else node_logits.sum() * 0
        upper = me & torch.ones(M, M, dtype=torch.bool, device=dev).triu(1)
        edge_loss = F.cross_entropy(edge_logits[upper], e[upper]) if upper.any() else edge_logits.sum() * 0
        # block sizes: after prefix s (s = -1 … n_blocks - 1) the size of block s + 1, 0 = stop
        upto = torch.arange(-1, S, device=dev).expand(B, S + 1)
        tgt = torch.cat([batch.sizes, torch.zeros(B, 1, dtype=torch.long, device=dev)], 1)
        keep = upto < batch.n_blocks[:, None]
        size_loss = F.cross_entropy(self.size_logits(h, block, valid & ~noisy, upto)[keep], tgt[keep])
        loss = node_loss + self.cfg.edge_loss_weight * edge_loss + self.cfg.size_loss_weight * size_loss
        return {"loss": loss, "node": node_loss.detach(), "edge": edge_loss.detach(), "size": size_loss.detach()}

    # ----------------------------------------------------------------- sampling
    @torch.no_grad()
    def sample(self, n: int, condition=None, *, generator: torch.Generator | None = None, batch_size: int = 1024,
               temperature: float = 1.0, size_temperature: float = 1.0, steps: int | None = None,
               timings: dict | None = None, **_: object) -> list[Sequence]:
        """``n`` graphs as Sequences (tokens (N,) node ids, block (N,), edges (N, N) edge ids).

        Per block: one evaluation for its size, then ``steps`` (default: the trained number) reverse
        diffusion steps (a step where no element of the batch is revealed is skipped); one more evaluation
        says stop.  ``self.nfe`` counts batched network evaluations, ``self.nfe_size`` those for block
        sizes, ``self.graph_nfe / n`` the evaluations per generated graph (``graph_nfe_size`` of them for sizes).  ``timings`` (a dict) receives
        seconds spent in the network and in the diffusion bookkeeping."""
        if condition is not None:
            raise ValueError("PARD models here are unconditional")
        out: list[Sequence] = []
        self.nfe = self.nfe_size = self.graph_nfe = self.graph_nfe_size = 0
        for start in range(0, n, batch_size):
            out.extend(self._sample_batch(min(batch_size, n - start), generator, temperature, size_temperature,
                                          steps or self.cfg.diffusion_steps, timings))
        return out

    def _net(self, timings: dict | None, *args) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        self.nfe += 1
        self.graph_nfe += int(args[0].shape[0])
        if timings is None:
            return self(*args)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        r = self(*args)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        timings["network_s"] = timings.get("network_s", 0.0) + time.perf_counter() - t0
        return r

    def _sample_batch(self, B: int, gen, temperature: float, size_temperature: float, steps: int,
                      timings: dict | None) -> list[Sequence]:
        """Blocks one after another; graphs that have stopped leave the batch (no evaluations spent on them)."""
        cfg, dev = self.cfg, self.device
        t_start = time.perf_counter()
        net_before = (timings or {}).get("network_s", 0.0)
        N = cfg.max_nodes
        x = torch.zeros(B, N, dtype=torch.long, device=dev)
        e = torch.zeros(B, N, N, dtype=torch.long, device=dev)
        block = torch.zeros(B, N, dtype=torch.long, device=dev)
        n = torch.zeros(B, dtype=torch.long, device=dev)
        act = torch.arange(B, device=dev)  # graphs still growing
        ar = torch.arange(N, device=dev)
        off_diag = ~torch.eye(N, dtype=torch.bool, device=dev)
        upper = torch.ones(N, N, dtype=torch.bool, device=dev).triu(1)
        diff = MaskDiffusion(steps)
        for b in range(N):
            # the next block's size, from the clean graph so far (0 = stop)
            xa, ea, ba, na = x[act], e[act], block[act], n[act]
            A = len(act)
            valid = ar[None] < na[:, None]
            _, _, h = self._net(timings, xa, ea, ba, torch.zeros_like(valid), valid, torch.zeros(A, N, device=dev))
            self.nfe_size += 1
            self.graph_nfe_size += A
            logits = self.size_logits(h, ba, valid, torch.full((A, 1), b - 1, device=dev))[:, 0].float()
            logits = logits.masked_fill(torch.arange(N + 1, device=dev)[None] > (N - na)[:, None], float("-inf"))
            if b == 0:
                logits[:, 0] = float("-inf")
            size = torch.multinomial(torch.softmax(logits / max(size_temperature, 1e-6), -1), 1, generator=gen)[:, 0]
            go = size > 0
            act, xa, ea, ba, na, size = act[go], xa[go], ea[go], ba[go], na[go], size[go]
            if not len(act):
                break
            # the new block: noisy tokens n … n + size − 1, all masked, with masked edges to everything earlier
            new = (ar[None] >= na[:, None]) & (ar[None] < (na + size)[:, None])
            valid = ar[None] < (na + size)[:, None]
            xa = torch.where(new, self.node_mask, xa)
            ba = torch.where(new, b, ba)
            tgt_e = (new[:, :, None] | new[:, None, :]) & valid[:, :, None] & valid[:, None, :] & off_diag
            ea = torch.where(tgt_e, self.edge_mask, ea)
            node_step = diff.reveal_steps(tuple(xa.shape), gen, dev)
            es = diff.reveal_steps(tuple(ea.shape), gen, dev).triu(1)
            edge_step = es + es.transpose(1, 2)
            for k in range(steps):
                now_x, now_e = new & (node_step == k), tgt_e & upper & (edge_step == k)
                if not (bool(now_x.any()) or bool(now_e.any())):
                    continue
                t = torch.full(tuple(xa.shape), 1 - k / steps, device=dev) * new
                nl, el, _ = self._net(timings, xa, ea, ba, new, valid, t)
                xa = diff.reveal(xa, nl, now_x, temperature, gen)
                eu = diff.reveal(ea, el, now_e, temperature, gen).triu(1)
                ea = torch.where(tgt_e, eu + eu.transpose(1, 2), ea)
            x[act], e[act], block[act], n[act] = xa, ea, ba, na + size
        if timings is not None:
            total = time.perf_counter() - t_start
            timings["diffusion_s"] = timings.get("diffusion_s", 0.0) + total - (timings["network_s"] - net_before)
        out = []
        for i in range(B):
            k = int(n[i])
            out.append(Sequence(x[i, :k].cpu(), block=block[i, :k].cpu(), edges=e[i, :k, :k].cpu()))
        return out
