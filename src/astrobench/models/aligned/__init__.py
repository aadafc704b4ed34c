"""Aligned encoders (AstroCLIP): a frozen or fine-tuned tower plus a cross-attention head."""
