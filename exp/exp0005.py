"""exp0005 = exp0003 + drop_rate + drop_path_rate"""
from dataclasses import dataclass

from exp.exp0003 import Config as Parent


@dataclass
class Config(Parent):
    drop_rate: float = 0.2
    drop_path_rate: float = 0.2
