import sys

from .run import main

try:
    main()
except KeyboardInterrupt:
    print("bench: interrupted; every server it started has been stopped", file=sys.stderr)
    sys.exit(130)
