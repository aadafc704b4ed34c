"""Models: backbones (timm / HF / own checkpoints / built-in), band adapters, heads."""
