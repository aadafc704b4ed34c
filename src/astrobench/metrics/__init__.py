"""Metrics as pure functions (arrays in, floats out): classification, photo-z, regression, stats.

Each task kind (`astrobench.tasks`) picks its metric set; `stats.bootstrap_intervals` gives
confidence intervals for any metrics over resampled test objects.
"""
