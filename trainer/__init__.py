"""Tinta trainer: data, models, losses, training, ONNX export and evaluation (PyTorch)."""
