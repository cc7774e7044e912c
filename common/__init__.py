"""Machinery shared by all experiments: config, data, synthetic data, augmentations, models, training, TTA."""
