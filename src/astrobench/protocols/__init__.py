"""Protocols: ways to adapt a backbone to a task (knn, linear, mlp, whitening, finetune, ...)."""
