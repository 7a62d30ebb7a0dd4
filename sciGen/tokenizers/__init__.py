"""Learned tokenizers: VAT (shapes); later the MAR-3D pyramid VAE, Argus3D triplane VQ and AutoBrep FSQ autoencoders."""
