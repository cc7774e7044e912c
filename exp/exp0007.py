"""exp0007 = exp0005 + resize 512x512 bicubic"""
from dataclasses import dataclass

from exp.exp0005 import Config as Parent


@dataclass
class Config(Parent):
    image_size: int = 512
