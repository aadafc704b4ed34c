"""Spectrum encoders: a masked-modelling transformer over overlapping windows (SpecFormer)."""
