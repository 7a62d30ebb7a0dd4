"""Trainable: the models are plain nn.Modules; sampling and loading never import Lightning."""
from __future__ import annotations

import subprocess
import sys

import torch
from torch import nn

from sciGen.nn.trainable import Trainable


class Tiny(Trainable):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)


def test_device_and_lightning_members_outside_training() -> None:
    m = Tiny()
    assert isinstance(m, nn.Module) and m.device == torch.device("cpu")
    assert m.global_step == 0 and m.trainer_module is None
    m.log("x", 1.0)  # outside training: nothing to forward to, and no error
    m.log_dict({"y": 2.0})
    assert Trainable().device == torch.device("cpu")  # no parameters, no buffers


def test_loading_and_sampling_modules_do_not_import_lightning() -> None:
    """Every generator, tokenizer and adapter, the API, the CLI and ``load_model``: no Lightning (it costs
    seconds at start-up; only ``sciGen.lit_module`` imports it, for training)."""
    code = ("import sys\n"
            "import sciGen.api, sciGen.cli\n"
            "from sciGen import registry\n"
            "from sciGen.train import load_model\n"
            "for name in registry.GENERATORS: registry.generator_class(name)\n"
            "for name in registry.DOMAINS: registry.adapter_class(name)\n"
            "bad = sorted(m for m in sys.modules if 'lightning' in m)\n"
            "print(bad[:5])\n"
            "sys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
