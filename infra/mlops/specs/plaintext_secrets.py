"""Spec values that look like credentials written in plain text: known key formats anywhere, and
high-entropy values under secret-sounding names.

A hyperparameter, a container environment value or a tag is deployed as it is written: it ends
up in the pipeline definition, the model and every resource's tags, all readable through the
AWS API by anyone with Describe permissions, and in the plan. A credential belongs in an
encrypted stack config key, referenced from `serving.environment` as `{secret: <key>}`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from .model import ModelSpec

# Formats that are credentials whatever they are called (providers publish these prefixes so
# that scanners can find leaked keys).
KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b")),
    ("private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")),
    ("API secret key (sk-…)", re.compile(r"\b(?:sk|rk)[-_](?:live|test|proj)[-_][A-Za-z0-9_-]{8,}|\bsk-[A-Za-z0-9_-]{20,}")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
)
# Words of a name under which a random-looking value is taken for a credential.
SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential", "credentials", "auth"})
# A credential is long, has no spaces and is close to random: 16 characters of base64, hex or a
# generated password carry at least 3.5 bits each, where words and identifiers stay below.
MIN_SECRET_LENGTH = 16
MIN_BITS_PER_CHARACTER = 3.5
_TOKEN_CHARACTERS = re.compile(r"^\S+$")


@dataclass(frozen=True)
class SuspectedSecret:
    """A spec value that looks like a credential, where it is, and why."""

    path: tuple[str, ...]
    kind: str
    value: str

    @property
    def field(self) -> str:
        return ".".join(self.path)


def suspected_secrets(spec: ModelSpec) -> list[SuspectedSecret]:
    """Every plain-text value of `spec` that is deployed as written and looks like a credential."""
    found = []
    for path, value in _deployed_values(spec):
        kind = credential_kind(path[-1], value)
        if kind is not None:
            found.append(SuspectedSecret(path=path, kind=kind, value=value))
    return found


def credential_kind(name: str, value: str) -> str | None:
    """What kind of credential `value` (named `name`) looks like, or None."""
    for kind, pattern in KNOWN_FORMATS:
        if pattern.search(value):
            return kind
    if _secret_sounding(name) and _random_looking(value):
        return f"high-entropy value under the secret-sounding name '{name}'"
    return None


def _secret_sounding(name: str) -> bool:
    """`api_key`, `API-TOKEN`, `dbPassword`, `clientSecret`: a word of the name is a credential's."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return bool(SECRET_WORDS & set(re.split(r"[^a-z0-9]+", words)))


def _random_looking(value: str) -> bool:
    if len(value) < MIN_SECRET_LENGTH or not _TOKEN_CHARACTERS.match(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    counts = Counter(value)
    bits = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return classes >= 2 and bits >= MIN_BITS_PER_CHARACTER


def _deployed_values(spec: ModelSpec) -> Iterator[tuple[tuple[str, ...], str]]:
    """(spec path, text) of every free-text value that reaches AWS as written."""
    for name, value in spec.training.hyperparameters.items():
        yield ("training", "hyperparameters", name), str(value)
    for name, value in spec.serving.environment.items():
        if isinstance(value, str):  # a {secret: key} reference is the right way already
            yield ("serving", "environment", name), value
    # These become tags on every resource of the model.
    metadata = spec.metadata
    for field in ("owner", "team", "cost_center", "description"):
        yield ("metadata", field), str(getattr(metadata, field))
