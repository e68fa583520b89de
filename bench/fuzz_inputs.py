"""Long fuzz run of every loader of user input: mutated model specs, stack files, waivers,
enforcement files and policy parameters, each through the loader `mlops` uses.

Usage: .venv/bin/python bench/fuzz_inputs.py [--specs 10000] [--configs 1000] [--seed 1] [--limit 2.0]

A case fails when the loader raises anything but the project's own errors (MlopsError: exit 2 for
a bad file, 3 where the gate cannot decide), or takes longer than --limit seconds. Prints the counts per file kind, the slowest case and every failure (with
the seed and case number to replay it). Exit 1 on any failure. The suite's property-based tests
run the same loaders on a small, fixed budget; this is the long run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Values that have broken YAML readers or AWS-facing validation before.
NASTY = [
    "", "~", "null", "NaN", ".nan", "-.inf", ".inf", "1e400", "-5", "0", "1" + "0" * 400, "!!set {a}", "!!omap []",
    "!!bool maybe", "!!float x", "!!str x", "!!binary aGk=", "&a [1]", "*a", "<<: *x", '"\\x01"', '"\\ud800"', "'\\x00'",
    "[" * 300 + "]" * 300, "{" * 200 + "}" * 200, "x" * 3000, "ml.bogus.xlarge", "cron(not a cron)", "rate(0 days)",
    "s3://192.168.1.1/x", "s3://a..b/c", "../../etc/passwd", "/etc/passwd", "2027-02-30", "yes", "0x1F", "010",
    "sk-live-4eC39HqLyjWDarjtT1zdp7dc", "AKIAIOSFODNN7EXAMPLE", "-----BEGIN PRIVATE KEY-----", "\t", "? complex\n: key",
    "|\n  block", ">-\n  folded", "%YAML 1.1", "---\n---", "...", "# comment", "'unterminated", '"unterminated',
]


def mutate(text: str, rng: random.Random) -> str:
    """One to four mutations: a line's value replaced, a line dropped, duplicated or re-indented,
    or raw characters inserted, deleted or flipped."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [rng.choice(NASTY)]
        i = rng.randrange(len(lines))
        choice = rng.randrange(7)
        if choice == 0 and ":" in lines[i]:
            key, _, _ = lines[i].partition(":")
            lines[i] = f"{key}: {rng.choice(NASTY)}"
        elif choice == 1:
            del lines[i]
        elif choice == 2:
            lines.insert(i, lines[i])
        elif choice == 3:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
        elif choice == 4:
            position = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:position] + rng.choice(NASTY) + lines[i][position:]
        elif choice == 5 and lines[i]:
            position = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:position] + lines[i][position + 1 :]
        else:
            position = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:position] + chr(rng.choice([0, 1, 7, 9, 11, 27, 127, 0x85, 0xFEFF, 0x2028, rng.randrange(32, 0x2FFF)])) + lines[i][position:]
    return "\n".join(lines) + rng.choice(["\n", ""])


def loaders(project: Path) -> dict[str, tuple[Path, Callable[[], object]]]:
    """File kind → (the file to mutate, the loader `mlops` runs on it)."""
    from mlops.governance.bundle import load_bundle
    from mlops.governance.enforcement import load_enforcement
    from mlops.governance.waivers import load_waivers
    from mlops.plan import load_inputs

    bundle = load_bundle(project / "policies")
    return {
        "model spec": (project / "models" / "fraud-detector.yaml", lambda: load_inputs(project, "prod")),
        "stack file": (project / "Pulumi.prod.yaml", lambda: load_inputs(project, "prod")),
        "waivers": (project / "policies" / "waivers.yaml", lambda: load_waivers(project / "policies" / "waivers.yaml", bundle)),
        "enforcement": (
            project / "policies" / "enforcement.yaml",
            lambda: load_enforcement(project / "policies" / "enforcement.yaml", bundle),
        ),
        "parameters": (project / "policies" / "data" / "parameters.json", lambda: load_bundle(project / "policies")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--configs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=2.0, help="seconds one case may take")
    args = parser.parse_args()
    from mlops.errors import MlopsError

    failures, totals = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "models", "policies", "infra"):
            source = REPO / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
        for kind, (path, load) in loaders(project).items():
            original = path.read_text(encoding="utf-8")
            count = args.specs if kind == "model spec" else args.configs
            rng = random.Random(f"{args.seed}:{kind}")
            rejected: dict[str, int] = {}
            slowest = (0.0, -1)
            for case in range(count):
                path.write_text(mutate(original, rng), encoding="utf-8", errors="surrogatepass")
                start = time.perf_counter()
                try:
                    load()
                except MlopsError as e:
                    rejected[type(e).__name__] = rejected.get(type(e).__name__, 0) + 1
                except Exception:  # noqa: BLE001 - every other exception is the finding
                    failures.append((kind, case, traceback.format_exc(limit=3)))
                seconds = time.perf_counter() - start
                slowest = max(slowest, (seconds, case))
                if seconds > args.limit:
                    failures.append((kind, case, f"took {seconds:.2f}s (limit {args.limit}s)"))
            path.write_text(original, encoding="utf-8")
            totals[kind] = count
            errors = ", ".join(f"{n} {name}" for name, n in sorted(rejected.items())) or "none"
            print(f"{kind:<12} {count:>6} cases: {count - sum(rejected.values()):>6} accepted, rejected: {errors}; "
                  f"slowest {slowest[0]:.3f}s (case {slowest[1]})", flush=True)
    for kind, case, detail in failures:
        print(f"FAIL {kind} case {case} (seed {args.seed}):\n{detail}")
    print(f"{sum(totals.values())} cases, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
