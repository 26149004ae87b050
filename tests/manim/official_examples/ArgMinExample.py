from manim import *


