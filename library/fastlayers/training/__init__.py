"""fastlayers.training"""
