"""exp0025 = exp0001 + CPU recipe: [aaa,bcd] at 128 px, resnet18, both flips, line aug, 8 epochs

The suite's best recipe for about an hour on 2 CPU cores (docs/seti_cpu_recipe.md, each change a measured row
there): a resnet18 learns from scratch where an EfficientNet-B0 needs more epochs than a CPU has; the
frequency flip and the cadence's time reversal are label- and track-preserving (test-time views too);
drifting lines drawn into the ON scans (target 1) give the network far more needles than the data's 10%.
No mixup and no dropout: at this budget they slowed learning (exp0012's row).
"""
from dataclasses import dataclass

from exp.exp0001 import Config as Parent


@dataclass
class Config(Parent):
    layout: str = "aaa_bcd"
    image_size: int = 128
    model_name: str = "resnet18"
    flip_freq: float = 0.5
    flip_time: float = 0.5
    line_aug: float = 0.25
    epochs: int = 8
    num_workers: int = 2
