"""Write the held-out split that `scigen train CONFIG` carves (and never trains on) to a .smi file.

    python bench/moses_holdout.py configs/molecules-unigenx.yaml ../shared/data/moses/train.csv.gz out.smi

Same records, same hash split as sciGen.train: useful when the run folder's holdout.txt is elsewhere.
"""
from __future__ import annotations

import sys

from sciGen import registry
from sciGen.config import from_dict, load_yaml
from sciGen.io import atomic_write_text
from sciGen.train import TrainConfig, holdout_split


def main(config: str, data: str, out: str) -> None:
    cfg = from_dict(TrainConfig, load_yaml(config), config)
    recs = registry.adapter_class(cfg.domain)().training_records(data, [], workers=cfg.data.workers or 2)
    keys = [r.key for r in holdout_split(recs, cfg.data)[1]]
    atomic_write_text(out, "".join(k + "\n" for k in keys))
    print(f"{len(keys)} held-out of {len(recs)} records → {out}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
