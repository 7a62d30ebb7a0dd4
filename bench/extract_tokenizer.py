"""Write the tokenizer embedded in a shape generator's checkpoint (G3PT: VAT, Argus3D: TriplaneVQ, MAR-3D:
VecSetVAE) as a checkpoint of its own, so that a generator can be retrained over the very tokenizer a shipped
model samples through (its weights as stored there: float16 when the generator was exported in half).

    python bench/extract_tokenizer.py sciGen/checkpoints/shapes-argus3d.pt runs/shapes-triplane-vq/model.pt
"""
from __future__ import annotations

import argparse
from pathlib import Path

from sciGen.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("out", type=Path)
    a = ap.parse_args()
    blob = load_checkpoint(a.checkpoint, domain="shapes")
    tok = blob.get("extras", {}).get("tokenizer")
    if tok is None:
        raise SystemExit(f"{a.checkpoint}: no embedded tokenizer (a {blob['generator']} checkpoint)")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(a.out, generator=tok["generator"], domain="shapes", config=tok["config"], vocab=blob["vocab"],
                    state_dict=tok["state_dict"],
                    meta={"extracted_from": str(a.checkpoint), "tokenizer_of": blob["meta"].get("tokenizer")})
    print(f"{a.out}: the {tok['generator']} embedded in {a.checkpoint}")


if __name__ == "__main__":
    main()
