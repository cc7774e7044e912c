"""exp0117 = exp0116 + soft pseudo labels from exp0116's submission

Seed 000's and the 3rd place's last step (+1-2 bp for them): the test set joins the training data with
exp0116's predicted probabilities as soft targets (BCE on soft labels). Run exp0116 and its evaluate.py
first: outputs/exp0116/submission.csv. Those predictions come from fold models that saw this run's
validation folds, so its CV AUC is slightly optimistic; the test set is what it is for.
"""
from dataclasses import dataclass

from exp.exp0116 import Config as Parent


@dataclass
class Config(Parent):
    pseudo_labels: str = "exp0116"
