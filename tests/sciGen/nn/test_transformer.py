from __future__ import annotations

import torch

from sciGen.nn.transformer import Transformer, TransformerConfig


def test_kv_cache_matches_full_forward() -> None:
    torch.manual_seed(0)
    m = Transformer(TransformerConfig(d_model=32, n_layers=2, n_heads=4, d_ff=64, max_len=16)).eval()
    x = torch.randn(3, 10, 32)
    full = m(x)
    cache = m.new_cache(3, torch.device("cpu"))
    parts = [m(x[:, :4], cache)]  # a prompt, then one position at a time
    for t in range(4, 10):
        parts.append(m(x[:, t:t + 1], cache))
    inc = torch.cat(parts, dim=1)
    assert inc.shape == (3, 10, 32)
    assert torch.allclose(full, inc, atol=1e-5)
    assert cache.length == 10


def test_causality() -> None:
    torch.manual_seed(0)
    m = Transformer(TransformerConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32, max_len=8)).eval()
    x = torch.randn(1, 6, 16)
    y = x.clone()
    y[:, 4:] += torch.randn(1, 2, 16)  # changing the future must not change the past
    assert torch.allclose(m(x)[:, :4], m(y)[:, :4], atol=1e-6)
    assert not torch.allclose(m(x)[:, 4:], m(y)[:, 4:])


def test_cache_select_keeps_rows() -> None:
    m = Transformer(TransformerConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32, max_len=8)).eval()
    x = torch.randn(3, 5, 16)
    cache = m.new_cache(3, torch.device("cpu"))
    m(x[:, :4], cache)
    cache.select(torch.tensor([2, 0]))
    step = m(x[[2, 0], 4:5], cache)
    assert torch.allclose(step, m(x[[2, 0]])[:, 4:5], atol=1e-5)
