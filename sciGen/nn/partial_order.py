"""PARD's structural partial order: blocks from peeling nodes by higher-order degree.

Zhao, Ding, Akoglu, "Pard: Permutation-invariant autoregressive diffusion for graph generation"
(NeurIPS 2024), Sec. 3.1.  The k-th order degree of node v in graph G is the number of length-k walks
from v, ``(A^k 1)_v``; nodes are compared by the tuple (d_1, …, d_K) lexicographically.  Peeling
removes *all* nodes with the current minimum tuple at once and recomputes degrees on what is left, so
the result depends only on the graph's structure: a permuted graph gets the permuted assignment.
The peel order reversed gives the blocks: block 0 is the last core left, the last block the first
nodes peeled (leaves and other low-degree nodes).
"""
from __future__ import annotations

import numpy as np


def higher_order_degrees(adj: np.ndarray, order: int) -> np.ndarray:
    """(N, N) 0/1 adjacency → (N, order) walk counts (d_1 … d_K), int64."""
    a = (np.asarray(adj) != 0).astype(np.int64)
    out = np.empty((a.shape[0], order), dtype=np.int64)
    walk = np.ones(a.shape[0], dtype=np.int64)
    for k in range(order):
        walk = a @ walk
        out[:, k] = walk
    return out


def peel_blocks(adj: np.ndarray, order: int = 3) -> np.ndarray:
    """(N, N) adjacency (any nonzero entry is an edge) → (N,) int64 block index, 0 = first generated.

    Every node with the lexicographically smallest (d_1 … d_K) in the remaining graph is peeled in the
    same round; rounds continue on the remaining induced subgraph until no node is left.
    """
    adj = np.asarray(adj)
    n = adj.shape[0]
    left = np.arange(n)
    rounds: list[np.ndarray] = []
    while len(left):
        deg = higher_order_degrees(adj[np.ix_(left, left)], order)
        lowest = np.lexsort(deg.T[::-1])[0]
        peel = (deg == deg[lowest]).all(axis=1)
        rounds.append(left[peel])
        left = left[~peel]
    blocks = np.empty(n, dtype=np.int64)
    for b, nodes in enumerate(reversed(rounds)):
        blocks[nodes] = b
    return blocks
