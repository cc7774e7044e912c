"""exp0001 = simple baseline: six scans stacked along time, EfficientNet-B0, BCE."""
from dataclasses import dataclass

from common.seti.config import Config as Base


@dataclass
class Config(Base):
    pass
