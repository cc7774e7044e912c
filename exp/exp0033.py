"""exp0033 = exp0032 + separate losses: the backbone's and the side head's logits each trained against the target

In exp0032 only their sum was trained: the backbone fits the 1,500 training cadences (training loss 0.08)
and the side head, once the sum is right, stops learning, so its logit stays small (standard deviation
0.33 against the backbone's 2.8 on fold 0's validation cadences) though it ranks as well as the backbone
alone (0.973). Trained on its own loss, the side head becomes a classifier of the classical statistics in
its own right and the sum weighs both. Measured: validation AUC 0.979 and 0.965 on folds 0 and 1, the side
head alone 0.966 and 0.942, below the classical score it is given (it learns on line-augmented batches);
a logistic regression on the same statistics of the unaugmented training cadences reads them better,
hence `bench.sensitivity --stack` (docs/seti_cpu_recipe.md).
"""
from dataclasses import dataclass

from exp.exp0032 import Config as Parent


@dataclass
class Config(Parent):
    separate_losses: bool = True
