"""Errors a user can cause. The CLI turns them into one line ``error: ...`` and exit status 2."""


class UserError(ValueError):
    """A mistake in the user's input (a flag, a file, a number), reported without a traceback."""
