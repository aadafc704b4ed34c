"""pretrain layer (see DESIGN.md)."""
