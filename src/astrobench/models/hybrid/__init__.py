"""AstroMAE's hybrid photo-z model (seed 001 §II-D/E, Fig. 6-7): a frozen pretrained ViT, an
Inception branch and a magnitude MLP, concatenated into a two-layer regression head, and every
architecture of its Table IV as a named variant."""
