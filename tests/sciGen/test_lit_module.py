"""LitModule: Lightning trains a plain-nn.Module generator with the generator's own steps and optimiser."""
from __future__ import annotations

import pytorch_lightning as pl
import torch

from sciGen.data import Sequence, Vocab
from sciGen.generators.unigenx import UniGenX
from sciGen.lit_module import LitModule


def _model_and_data() -> tuple[UniGenX, list[Sequence]]:
    torch.manual_seed(0)
    vocab = Vocab(["A", "B", "<num>"], numbers=["<num>"], value_dim=1)
    model = UniGenX({"vocab_size": len(vocab), "value_dim": 1, "number_ids": vocab.number_ids,
                     "transformer": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "max_len": 8},
                     "diffusion": {"width": 32, "depth": 1, "train_steps": 50, "sample_steps": 5}})
    seqs = [Sequence(torch.tensor(vocab.encode(["A", "<num>", "B"])), torch.tensor([[0.0], [0.5 * i], [0.0]]),
                     torch.tensor([False, True, False])) for i in range(16)]
    return model, seqs


class _Steps(pl.Callback):
    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_train_batch_end(self, trainer, pl_module, *_) -> None:
        self.seen.append(pl_module.model.global_step)  # the model sees the Trainer's step count


def test_trains_with_the_models_own_steps_and_logs(tmp_path) -> None:
    model, seqs = _model_and_data()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lit = LitModule(model)
    assert model.trainer_module is lit and set(lit.state_dict()) == {f"model.{k}" for k in model.state_dict()}
    loader = torch.utils.data.DataLoader(seqs, batch_size=4, collate_fn=model.collate)
    steps = _Steps()
    trainer = pl.Trainer(accelerator="cpu", max_steps=4, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[steps],
                         default_root_dir=tmp_path)
    trainer.fit(lit, loader, loader)
    assert steps.seen == [1, 2, 3, 4]  # one epoch of 4 batches, then validation
    assert {"train/loss", "train/value_loss", "val/loss"} <= set(trainer.callback_metrics)
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())  # the optimiser stepped


def test_resume_checkpoints_from_before_the_wrapper_load(tmp_path) -> None:
    model, _ = _model_and_data()
    lit = LitModule(model)
    old = {"state_dict": {k: torch.zeros_like(v) for k, v in model.state_dict().items()}}
    lit.on_load_checkpoint(old)
    lit.load_state_dict(old["state_dict"])
    assert all(float(v.abs().sum()) == 0 for v in model.state_dict().values())
    new = {"state_dict": dict(lit.state_dict())}
    lit.on_load_checkpoint(new)  # already prefixed: unchanged
    assert set(new["state_dict"]) == set(lit.state_dict())
