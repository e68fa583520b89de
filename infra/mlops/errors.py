"""The root exception and the exit code each class of failure maps to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; CI and scripts branch on these, so they never change meaning."""

    OK = 0
    GATE_FAILED = 1
    INVALID_INPUT = 2
    ENGINE_UNDECIDED = 3
    PROGRAM_FAILED = 4
    # POSIX shells use 127 for "command not found": `mlops up` without the Pulumi CLI.
    TOOL_MISSING = 127


class MlopsError(Exception):
    """Root of every error this tool reports to a user instead of a traceback."""

    exit_code = ExitCode.PROGRAM_FAILED

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])


class InputError(MlopsError):
    """A spec, stack config, waiver or enforcement file is wrong; the user must fix it."""

    exit_code = ExitCode.INVALID_INPUT


class PolicyEngineError(MlopsError):
    """The policy engine could not reach a decision; the gate fails closed."""

    exit_code = ExitCode.ENGINE_UNDECIDED


class ProgramError(MlopsError):
    """The Pulumi program itself failed while it was being run offline."""

    exit_code = ExitCode.PROGRAM_FAILED


class StorageError(MlopsError):
    """A file the tool writes or keeps (a report, the plan, the audit ledger) could not be written
    or read: a full disk or missing permissions, never the user's input."""

    exit_code = ExitCode.PROGRAM_FAILED
