"""One-line errors for bad input: raise UserError; CLI entry points print it without a traceback."""
import functools
import sys


class UserError(Exception):
    """A problem the user can fix (missing file, bad option); its message says what to do."""


def cli(main):
    """Wrap a CLI entry point so a UserError prints `error: <message>` and exits with status 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)

    return wrapper
