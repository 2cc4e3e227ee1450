import sys

from ffnlp.cli import main

sys.exit(main())
