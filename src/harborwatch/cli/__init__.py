"""The ``harborwatch`` command: parses arguments, calls library functions, prints results."""
