import sys

from fastlayers.cli.main import main

sys.exit(main())
