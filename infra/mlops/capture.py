"""Captures a stack's resource graph: the program under mocks, its models shared out among worker
processes, and each model's subgraph reused from a cache while nothing it depends on has changed.

Models are independent of each other apart from the shared platform, whose inputs depend only
on the stack and on the platform tags every model contributes to. So a run that declares the
platform and a slice of the models captures exactly those models' subgraphs as a run of the
whole stack would, and the union of the slices, merged by URN, is the whole stack's graph. A
model's subgraph is a pure function of its merged spec, the stack file, the platform tags, the
program's code and the installed packages; that is its cache key.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import offline
from .errors import MlopsError, ProgramError
from .offline import CapturedResource
from .program_inputs import ProgramInputs
from .specs.loader import LoadedSpec

if TYPE_CHECKING:
    from .plan import PlanInputs

CACHE_FORMAT = 1
MODEL_STACK_TYPE = "mlops:model:ModelStack"
# The group of resources outside every ModelStack: the platform base.
PLATFORM = "(platform)"
# Models one worker declares at most: each worker is a fresh process, so this bounds the memory
# any process holds (Pulumi keeps every pending output of a run until it ends; ~3 MiB a model).
MAX_MODELS_PER_WORKER = 100
# Cache entries not used for this long are removed when the stack is next captured.
CACHE_KEEP_SECONDS = 14 * 24 * 3600


def default_jobs() -> int:
    """Worker processes by default: the cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def capture_resources(inputs: PlanInputs, *, jobs: int = 1, cache_dir: Path | None = None) -> list[CapturedResource]:
    """Every resource the program declares for the stack, sorted by URN: from the cache where its
    keys match, else from program runs over the missing models (in `jobs` worker processes)."""
    program = ProgramInputs.whole_stack(inputs.stack, inputs.specs)
    keys = cache_keys(inputs, program) if cache_dir is not None else {}
    cache = SubgraphCache(cache_dir / "capture" / inputs.stack.stack) if cache_dir is not None else None
    groups: dict[str, list[CapturedResource]] = {}
    if cache is not None:
        for group, key in keys.items():
            hit = cache.load(group, key)
            if hit is not None:
                groups[group] = hit
    missing = [item for item in inputs.specs if item.spec.name not in groups]
    if missing or PLATFORM not in groups:
        for captured in _run(inputs, program, missing, jobs):
            for group, resources in split_by_model(captured).items():
                if group in groups:
                    continue  # the platform, captured again by every run; identical each time
                groups[group] = resources
                if cache is not None:
                    cache.store(group, keys[group], resources)
    if cache is not None:
        cache.prune(keep=set(keys.values()))
    return sorted((r for resources in groups.values() for r in resources), key=lambda r: r.urn)


def split_by_model(captured: Iterable[CapturedResource]) -> dict[str, list[CapturedResource]]:
    """Resources grouped by the ModelStack they descend from (its name), the rest under PLATFORM."""
    by_urn = {r.urn: r for r in captured}
    roots: dict[str, str] = {}

    def group_of(resource: CapturedResource) -> str:
        if resource.urn not in roots:
            parent = by_urn.get(resource.parent) if resource.parent else None
            if parent is not None:
                roots[resource.urn] = group_of(parent)
            else:
                roots[resource.urn] = resource.name if resource.type == MODEL_STACK_TYPE else PLATFORM
        return roots[resource.urn]

    groups: dict[str, list[CapturedResource]] = {}
    for resource in by_urn.values():
        groups.setdefault(group_of(resource), []).append(resource)
    return groups


# --- Running the program ------------------------------------------------------------------------


def partition(specs: list[LoadedSpec], jobs: int) -> list[list[LoadedSpec]]:
    """Contiguous slices of the models, at least one per worker and none over MAX_MODELS_PER_WORKER."""
    if not specs:
        return [[]]
    size = min(MAX_MODELS_PER_WORKER, math.ceil(len(specs) / max(1, jobs)))
    return [specs[i : i + size] for i in range(0, len(specs), size)]


def _capture(inputs: PlanInputs, program: ProgramInputs) -> list[CapturedResource]:
    return offline.run_entry_point(inputs.project_dir, inputs.project, inputs.config, program)


def _run(inputs: PlanInputs, program: ProgramInputs, specs: list[LoadedSpec], jobs: int) -> Iterator[list[CapturedResource]]:
    """The captures of the platform and `specs`, in worker processes where the platform can fork.

    Even one job runs in a worker: a program run leaves hundreds of thousands of cyclic objects
    behind (Pulumi's outputs, tasks and futures), and collecting them costs about a second per
    50 models in whichever process holds them. A worker never collects them: it exits.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield _capture(inputs, program.only(specs))
        return
    yield from _run_workers(inputs, [program.only(chunk) for chunk in partition(specs, jobs)], max(1, jobs))


def _worker(connection: Connection, inputs: PlanInputs, program: ProgramInputs) -> None:
    """A forked worker: capture one slice and send the resources, or the error, to the parent."""
    # The parent's event loop came through the fork with a default executor whose threads did
    # not: Pulumi's registrations would wait on them forever. The worker runs on a loop of its own.
    asyncio.set_event_loop(asyncio.new_event_loop())
    # A worker lives for one slice and ends with os._exit, so nothing it allocates is ever
    # worth collecting: the cyclic collector stays off (offline._collector_for_program leaves it so).
    gc.disable()
    try:
        message: tuple[Any, ...] = ("ok", _capture(inputs, program))
    except MlopsError as e:
        message = ("error", type(e), e.message, e.problems)
    except BaseException as e:  # anything else still reaches the user as the worker's error
        message = ("error", ProgramError, f"capture worker failed: {type(e).__name__}: {e}", [])
    connection.send(message)
    connection.close()
    os._exit(0)


def _run_workers(inputs: PlanInputs, slices: list[ProgramInputs], jobs: int) -> Iterator[list[CapturedResource]]:
    """Run each slice in a forked worker, `jobs` at a time; the first failure stops them all.

    fork, not spawn: a worker starts with the parent's imports (pulumi-aws and the SageMaker SDK,
    seconds to import) and its loaded inputs, and is a fresh process for its slice alone.
    """
    # The program's modules (the SageMaker SDK above all) are imported once, here, for every worker.
    importlib.import_module(".program", __package__)
    context = multiprocessing.get_context("fork")
    pending = list(enumerate(slices))
    running: dict[Connection, tuple[int, Any]] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index, program = pending.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(sender, inputs, program), daemon=True)
                process.start()
                sender.close()
                running[receiver] = (index, process)
            for receiver in wait(list(running)):
                index, process = running.pop(receiver)
                message = _receive(receiver, process, slices[index])
                process.join()
                yield message
    finally:
        for receiver, (_index, process) in running.items():
            process.kill()
            process.join()
            receiver.close()


def _receive(receiver: Connection, process: Any, program: ProgramInputs) -> list[CapturedResource]:
    names = [item.spec.name for item in program.specs]
    what = f"models {names[0]} … {names[-1]}" if len(names) > 1 else (f"model {names[0]}" if names else "the platform")
    try:
        message = receiver.recv()
    except (EOFError, OSError):
        process.join()
        raise ProgramError(
            f"the capture worker for {what} ended without a result (exit code {process.exitcode}); "
            "no partial plan was kept. Run with --jobs 1 to see the failure in this process"
        ) from None
    finally:
        receiver.close()
    if message[0] == "error":
        _, kind, text, problems = message
        raise kind(text, problems=problems)
    return message[1]


# --- The cache ----------------------------------------------------------------------------------


def cache_keys(inputs: PlanInputs, program: ProgramInputs) -> dict[str, str]:
    """The key of each group (every model and the platform): a SHA-256 of everything its
    subgraph depends on. See the README's "Incremental capture" for the list."""
    shared = {
        "format": CACHE_FORMAT,
        "code": code_digest(inputs.project_dir),
        "packages": installed_packages(),
        "project": inputs.project,
        "stack": inputs.stack.model_dump(mode="json"),
        "config": inputs.config,
        "platform_tags": program.platform_tags,
    }
    keys = {PLATFORM: _digest({**shared, "group": PLATFORM})}
    for item in inputs.specs:
        keys[item.spec.name] = _digest({**shared, "group": item.spec.name, "spec": item.spec.model_dump(mode="json")})
    return keys


def _digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def code_digest(project_dir: Path) -> str:
    """SHA-256 of the program's code: the project's entry point and every file of this package."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    entry = project_dir / "infra" / "__main__.py"
    files = [("entry", entry)] + [(p.relative_to(package).as_posix(), p) for p in sorted(package.rglob("*.py"))]
    for name, path in files:
        data = path.read_bytes() if path.is_file() else b""
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def installed_packages() -> list[str]:
    """`name==version` of every installed distribution, and the Python version."""
    names = {f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions() if d.metadata["Name"]}
    return [f"python=={sys.version.split()[0]}", *sorted(names)]


class SubgraphCache:
    """One JSON file per group and key. An entry is trusted only if it parses, names the key and
    group it was looked up by, and its resources hash to the digest it records: a corrupt,
    truncated or foreign entry is ignored (and rebuilt), never used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, group: str, key: str) -> list[CapturedResource] | None:
        path = self._path(key)
        try:
            entry = json.loads(path.read_bytes())
            if not (isinstance(entry, dict) and entry.get("format") == CACHE_FORMAT and entry.get("key") == key
                    and entry.get("group") == group and isinstance(entry.get("resources"), list)):
                return None
            if _digest(entry["resources"]) != entry.get("digest"):
                return None
            resources = [CapturedResource(**r) for r in entry["resources"]]
            os.utime(path)
        except (OSError, ValueError, TypeError):
            return None
        return resources

    def store(self, group: str, key: str, resources: list[CapturedResource]) -> None:
        """Write an entry atomically; a cache that cannot be written only costs the next run time."""
        documents = [asdict(r) for r in resources]
        entry = {"format": CACHE_FORMAT, "key": key, "group": group, "digest": _digest(documents), "resources": documents}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(entry, f, sort_keys=True, separators=(",", ":"))
            os.replace(temporary, self._path(key))
        except OSError:
            with suppress(OSError):
                os.unlink(temporary)

    def prune(self, keep: set[str]) -> None:
        """Remove entries (and stray temporary files) not used for CACHE_KEEP_SECONDS."""
        cutoff = time.time() - CACHE_KEEP_SECONDS
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.name.removesuffix(".json") not in keep and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                continue
