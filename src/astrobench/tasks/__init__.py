"""Declarative task specs: dataset column + kind + the metric set used to score it."""
