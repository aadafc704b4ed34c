"""Object detectors on any backbone: Faster R-CNN with an FPN (CNNs) or a ViTDet simple
feature pyramid (plain ViTs)."""
