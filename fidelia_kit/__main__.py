"""``python -m fidelia_kit`` and the ``fidelia`` command: Ctrl-C or SIGTERM at any moment, even
while the command's modules are still being imported, ends with one line and status 130."""
from __future__ import annotations

import signal
import sys

__all__ = ["main"]


def main(argv=None) -> int:
    """Entry point: the command line of :mod:`fidelia_kit.cli`, interruptible from its first line."""
    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM as Ctrl-C
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        from .cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:  # the commands that write say more themselves; this is the last resort
        print("fidelia: interrupted.", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report Ctrl-C


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
