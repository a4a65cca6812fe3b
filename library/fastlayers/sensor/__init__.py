"""fastlayers.sensor"""
