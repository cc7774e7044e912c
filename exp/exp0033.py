"""exp0033 = exp0032 + separate losses: the backbone's and the side head's logits each trained against the target

In exp0032 only their sum was trained: the backbone fits the 1,500 training cadences (training loss 0.08)
and the side head, once the sum is right, stops learning, so its logit stays small (standard deviation
0.33 against the backbone's 2.8 on fold 0's validation cadences) though it ranks as well as the backbone
alone (0.973). Trained on its own loss, the side head becomes a classifier of the classical statistics in
its own right and the sum weighs both.
"""
from dataclasses import dataclass

from exp.exp0032 import Config as Parent


@dataclass
class Config(Parent):
    separate_losses: bool = True
