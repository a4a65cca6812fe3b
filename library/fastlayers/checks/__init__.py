"""fastlayers.checks"""
