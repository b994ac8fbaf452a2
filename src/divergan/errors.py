"""Errors a user can cause. The CLI turns them into one line ``error: ...`` and exit status 2."""


class UserError(ValueError):
    """A mistake in the user's input (a flag, a file, a number), reported without a traceback."""


class Interrupted(Exception):
    """A run stopped by SIGINT/SIGTERM after saving a checkpoint; the CLI exits 128 + signal number."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
