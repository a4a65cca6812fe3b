"""Lesson 00 (course/00_tour.ipynb, exercises/00_setup/): everything a notebook needs, `from fastlayers.all import *`."""
from fastlayers.core import *
from fastlayers.data import *
from fastlayers.training import *
from fastlayers.vision import *
from fastlayers.sensor import *
from fastlayers.text import *
