"""Shared generators: LightningModules built from one typed config, domain-agnostic."""
