"""fastlayers.vision"""
