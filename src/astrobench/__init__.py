"""astrobench: pretrain, adapt and benchmark vision foundation models on astronomical images."""

__version__ = "0.1.0"

__all__ = ["__version__"]
