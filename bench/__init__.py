"""Benchmarks: throughput of the training and inference pipelines, sensitivity against a classical search."""
