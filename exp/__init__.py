"""Numbered experiments: each file states only how it differs from its parent."""
