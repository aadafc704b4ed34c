"""Catalog columns measured from the synthetic images."""
