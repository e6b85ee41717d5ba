"""`python -m engine.cli`: the `tinta` command."""
import sys

from . import main

sys.exit(main())
