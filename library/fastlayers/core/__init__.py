"""fastlayers.core"""
