"""fastlayers: a fastai-style deep-learning library rebuilt layer by layer, with a course around it."""

__version__ = "0.1.0"
