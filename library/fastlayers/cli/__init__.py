"""The `fastlayers` command line."""
