"""Sampling throughput of the shipped molecules UniGenX: KV cache vs no cache vs Hugging Face GPT-2.

All three in one run, same machine, same sizes (d_model, layers, heads, d_ff, vocabulary), same
batch and the same fixed number of new tokens (EOS ignored), multinomial sampling at temperature 1
with no top-k / top-p.  Reports tokens/s (median of repeats) and the ratios.

    python bench/molecules_sampling.py [--batch 256] [--length 60] [--repeats 3]

Needs the [bench] extra (transformers).  Writes bench/results/molecules_sampling.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from sciGen.api import load
from sciGen.io import atomic_write_text


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--length", type=int, default=60, help="new tokens per sample")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "molecules_sampling.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from transformers import GPT2Config, GPT2LMHeadModel
    import transformers

    model, _ = load("molecules", "unigenx", device="cpu")
    c = model.cfg
    B, L = a.batch, a.length
    max_len = L + 1  # <bos> + L new tokens

    def ours(use_cache: bool):
        return lambda: model.sample(B, generator=torch.Generator().manual_seed(0), batch_size=B, max_len=max_len,
                                    stop_at_eos=False, use_cache=use_cache)

    hf = GPT2LMHeadModel(GPT2Config(vocab_size=c.vocab_size, n_positions=c.transformer.max_len,
                                    n_embd=c.transformer.d_model, n_layer=c.transformer.n_layers,
                                    n_head=c.transformer.n_heads, n_inner=c.transformer.d_ff,
                                    bos_token_id=c.bos_id, eos_token_id=c.eos_id, pad_token_id=c.pad_id)).eval()
    prompt = torch.full((B, 1), c.bos_id, dtype=torch.long)

    def hf_generate():
        torch.manual_seed(0)
        with torch.no_grad():
            out = hf.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=True, max_new_tokens=L,
                              min_new_tokens=L, top_k=0, top_p=1.0, temperature=1.0, use_cache=True)
        assert out.shape == (B, L + 1)

    n_params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert len(ours(True)()[0]) == L
    res = {}
    for name, fn in (("sciGen_kv_cache", ours(True)), ("sciGen_no_cache", ours(False)),
                     ("transformers_gpt2_generate", hf_generate)):
        s = timed(fn, a.repeats)
        res[name] = {"seconds": round(s, 3), "tokens_per_s": round(B * L / s, 1)}
        print(f"{name:28s} {s:7.2f} s  {B * L / s:10.0f} tokens/s")
    kv = res["sciGen_kv_cache"]["tokens_per_s"]
    report = {
        "what": "batched multinomial sampling, fixed length, CPU", "batch": B, "new_tokens": L,
        "repeats": a.repeats, "threads": a.threads, "torch": torch.__version__,
        "transformers": transformers.__version__, "machine": platform.processor() or platform.machine(),
        "model": {"d_model": c.transformer.d_model, "n_layers": c.transformer.n_layers,
                  "n_heads": c.transformer.n_heads, "d_ff": c.transformer.d_ff, "vocab": c.vocab_size,
                  "params_sciGen": n_params(model), "params_gpt2": n_params(hf)},
        "results": res,
        "speedup_kv_vs_no_cache": round(kv / res["sciGen_no_cache"]["tokens_per_s"], 2),
        "speedup_kv_vs_transformers": round(kv / res["transformers_gpt2_generate"]["tokens_per_s"], 2),
    }
    atomic_write_text(a.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("speedup_kv_vs_no_cache", "speedup_kv_vs_transformers")}))


if __name__ == "__main__":
    main()
