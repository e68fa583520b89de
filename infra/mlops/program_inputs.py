"""What the Pulumi program declares, and how `mlops` hands it inputs it has already loaded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .components.tags import platform_tags
from .specs.loader import LoadedSpec
from .specs.stack import StackConfig


@dataclass(frozen=True)
class ProgramInputs:
    """The stack, the models to declare and the platform's tags.

    The platform's tags come from every model of the stack (the strictest data class and risk
    tier), so a run that declares a slice of the models still declares the same platform.
    """

    stack: StackConfig
    specs: list[LoadedSpec]
    platform_tags: dict[str, str]

    @classmethod
    def whole_stack(cls, stack: StackConfig, specs: list[LoadedSpec]) -> ProgramInputs:
        return cls(stack=stack, specs=specs, platform_tags=platform_tags(stack, [x.spec for x in specs]))

    def only(self, specs: list[LoadedSpec]) -> ProgramInputs:
        """The same stack and platform with a slice of the models."""
        return ProgramInputs(stack=self.stack, specs=specs, platform_tags=self.platform_tags)


_provided: list[ProgramInputs] = []


@contextmanager
def provided_inputs(inputs: ProgramInputs) -> Iterator[None]:
    """Hand loaded inputs to the program for one run (what `mlops` does under mocks), so the
    program reads no file the command has read already."""
    _provided.append(inputs)
    try:
        yield
    finally:
        _provided.pop()


def provided() -> ProgramInputs | None:
    """The inputs `mlops` handed over, or None when the program runs under `pulumi up`."""
    return _provided[-1] if _provided else None
