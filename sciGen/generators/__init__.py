"""Shared generators: ``nn.Module``s (:class:`~sciGen.nn.trainable.Trainable`) built from one typed config,
domain-agnostic; Lightning trains them through :class:`~sciGen.lit_module.LitModule`."""
