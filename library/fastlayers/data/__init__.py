"""fastlayers.data"""
