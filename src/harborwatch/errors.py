"""The one exception tree of harborwatch.

::

    HarborwatchError
    ├── InputError (ValueError)        bad user input: a value, an option, a file's layout
    │   └── FormatDetectionError       a file whose format cannot be recognised
    ├── StoreError (OSError)           the store directory is unreadable, locked or damaged
    └── RejectedInputError             ``--strict`` and at least one record was quarantined

Subclasses also inherit the matching builtin so callers can catch either. Messages name the bad
value and the fix. Bulk paths never raise per record: they quarantine it with a reason code.
"""

from __future__ import annotations


class HarborwatchError(Exception):
    """Root of every error harborwatch raises on purpose."""


class InputError(HarborwatchError, ValueError):
    """A value given by the user (option, path, column mapping) cannot be used."""


class FormatDetectionError(InputError):
    """A file's format could not be recognised from its name and first bytes."""

    def __init__(self, path: str, head: str) -> None:
        self.path = path
        self.head = head
        super().__init__(
            f"cannot tell the format of {path!r} from its first line {head!r}; "
            "pass --format nmea|dma|marinecadastre|debs|csv (with --columns for csv)"
        )


class StoreError(HarborwatchError, OSError):
    """The store directory cannot be opened, written or is locked by another process."""


class RejectedInputError(HarborwatchError):
    """Raised under ``--strict`` when records were quarantined."""

    def __init__(self, rejected: int) -> None:
        self.rejected = rejected
        super().__init__(
            f"{rejected} record(s) were quarantined; see `harborwatch quarantine` "
            "or drop --strict to accept the rest"
        )
