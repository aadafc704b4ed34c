"""Encoder families: how an encoder checkpoint's sidecar `family` is rebuilt (ENCODER_FAMILIES)."""
