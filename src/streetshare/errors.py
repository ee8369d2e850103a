"""Domain errors. No HTTP here: the web layer maps each to a page or a status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a resident can be told about."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """It does not exist, or the caller may not see it (we do not say which)."""

    def __init__(self, message: str = "We couldn't find that.") -> None:
        super().__init__(message)


class NotAllowed(DomainError):
    """The caller is known but may not do this."""

    def __init__(self, message: str = "You're not allowed to do that.") -> None:
        super().__init__(message)


class Conflict(DomainError):
    """The change is no longer possible (someone else got there first, or it already happened)."""

    def __init__(self, message: str = "That's no longer possible.") -> None:
        super().__init__(message)


class IllegalTransition(Conflict):
    """A state change that the state machine does not allow from the current state."""


class TooManyAttempts(DomainError):
    def __init__(self, message: str = "Too many attempts. Please wait a few minutes and try again.", retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Invalid(DomainError):
    """Bad input: a message per field (field name -> message)."""

    def __init__(self, errors: dict[str, str], message: str = "Please check the highlighted fields.") -> None:
        super().__init__(message)
        self.errors = errors
