"""fastlayers.text"""
