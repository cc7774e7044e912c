"""exp0032 = exp0027 + dedoppler peaks: the classical search's statistics read by a side head beside the image

The dedoppler channels put every straight line's SNR in the image, but at 1,500 training cadences the
network does not learn to read their one-pixel peaks (exp0028-exp0031, docs/seti_cpu_recipe.md). Here the head
is given the peaks themselves (common.seti.dedoppler.peak_features: each scan's peak, the lines followed
through the ON and the OFF scans, and the classical scores), so the classical search is one linear read-out
away and the backbone's logit adds what the peaks miss (RFI shapes, curved paths). Measured
(docs/seti_cpu_recipe.md): validation AUC 0.977 and 0.967 on folds 0 and 1 against exp0027's 0.975 and 0.964;
the side head's logit stays small (std 0.33 against the backbone's 2.8): the backbone fits the training set
alone.
"""
from dataclasses import dataclass

from exp.exp0027 import Config as Parent


@dataclass
class Config(Parent):
    dedoppler_peaks: bool = True
