"""exp0019 = exp0012 + pseudo labels

exp0012's test predictions (outputs/exp0012/submission.csv) join training as soft labels.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    pseudo_labels: str = "exp0012"
