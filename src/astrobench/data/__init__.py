"""Data layer: the HDF5 cutout file, catalogs, splits, transforms, named and synthetic datasets."""
