"""exp0010 = exp0007 + resize 768x768"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    image_size: int = 768
