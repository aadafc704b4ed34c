"""Metrics as pure functions (arrays in, floats out): classification, photo-z, regression, stats.

`scoring.score_task` picks the metric set for a task; `stats.bootstrap_interval` gives a
confidence interval for any metric.
"""
