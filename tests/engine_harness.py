"""Drives the CrossGuard policy pack (`policies/`) over gRPC exactly as the Pulumi engine does.

`pulumi up --policy-pack policies` starts the pack through the `pulumi-analyzer-policy-python`
shim, which runs `python -u -m pulumi.policy <engine address> .` with the pack directory as its
working directory and PULUMI_STACK / PULUMI_PROJECT / PULUMI_ORGANIZATION / PULUMI_DRY_RUN /
PULUMI_CONFIG in its environment; the pack prints its gRPC port as the first line of stdout.
The engine then calls, on `pulumirpc.Analyzer`:

    Handshake            (UNIMPLEMENTED by pulumi_policy 1.21: the engine falls back silently)
    ConfigureStack       (stack, project, organization, dry_run, config as strings, stack tags)
    GetPluginInfo
    GetAnalyzerInfo      (the policies and their default enforcement levels)
    Configure            (one PolicyConfig per policy; the level is always set: ADVISORY is 0)
    Analyze              once per resource, with the resource's *inputs*, before its step
    AnalyzeStack         once, with every resource (the engine sends final *outputs* here)

What reaches the policies (pulumi_policy 1.21 with pulumi 3.272): properties are deserialized from
the Struct without secret proxies, so a secret ({4dabf1...: 1b4706..., value: v}) arrives as its
plain value `v`; an unknown stays the sentinel string (rpc.UNKNOWN, "04da6b54-...") and
`args.props` (an unknown_checking_proxy) raises UnknownValueError when it is read. ConfigureStack
keeps only the stack tags; the engine never sets PULUMI_CONFIG_SECRET_KEYS for a pack (secret keys
travel only in ConfigureStack), and PULUMI_CONFIG carries decrypted secrets as plain strings. The
pack never dials the engine address (pulumi.runtime.Settings gets no engine), so its log messages
go to stderr, not to Engine.Log.

This module plays the engine's side: `StandInEngine` serves `pulumirpc.Engine` (the address the
pack is given), `PackProcess` starts the pack and wraps the calls, `resources_from_plan` turns an
offline `reports/<stack>/plan.json` into the resources the engine would send (with unknowns for a
first preview), and `drive` runs the whole sequence and returns a `PackRun` with every diagnostic
and the timings (start-up and per call) for `bench/` to print.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc, plugin_pb2

REPO = Path(__file__).resolve().parent.parent
PROJECT_NAME = "mlops-platform"
ORGANIZATION = "organization"

# Pulumi's wire encodings (pulumi.runtime.rpc): an unknown string during preview, and a secret.
UNKNOWN = rpc.UNKNOWN
SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
# What offline plans put where a real deployment has a provider-computed value: the mock account
# and the mock stand-in ids/names (`mock-platform-key`, `<bucketPrefix>mock`, `...-mock-id`).
OFFLINE_STAND_INS = ("123456789012", "mock")

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: None,
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
LOG_SEVERITIES = {engine_pb2.DEBUG: "debug", engine_pb2.INFO: "info", engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}

# Same limit the Pulumi SDKs use on both ends (400 MB), so a large stack is never cut off.
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)]


# --- the engine's side: pulumirpc.Engine --------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    severity: str
    message: str
    urn: str
    stream_id: int
    ephemeral: bool


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    def __init__(self, engine: StandInEngine) -> None:
        self.engine = engine

    def Log(self, request, context):  # noqa: N802 (gRPC method name)
        self.engine._record(LogEntry(LOG_SEVERITIES.get(request.severity, str(request.severity)), request.message, request.urn,
                                     request.streamId, request.ephemeral))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self.engine.root_urn)

    def SetRootResource(self, request, context):  # noqa: N802
        self.engine.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()

    def StartDebugging(self, request, context):  # noqa: N802
        return empty_pb2.Empty()

    def RequirePulumiVersion(self, request, context):  # noqa: N802
        return engine_pb2.RequirePulumiVersionResponse()


class StandInEngine:
    """A `pulumirpc.Engine` server on a free 127.0.0.1 port that records every Log call."""

    def __init__(self) -> None:
        self.logs: list[LogEntry] = []
        self.root_urn = ""
        self.port: int | None = None
        self._lock = threading.Lock()
        self._server: grpc.Server | None = None

    @property
    def address(self) -> str:
        if self.port is None:
            raise RuntimeError("the stand-in engine is not running")
        return f"127.0.0.1:{self.port}"

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.logs.append(entry)

    def start(self) -> StandInEngine:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_CHANNEL_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineServicer(self), server)
        self.port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait(5)
            self._server = None

    def __enter__(self) -> StandInEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the pack process ---------------------------------------------------------------------------


class PackFailedToStart(Exception):
    """The pack exited (or timed out) before printing its port."""

    def __init__(self, returncode: int | None, stdout: str, stderr: str, reason: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.reason = reason
        super().__init__(f"policy pack failed to start ({reason}, exit code {returncode}):\n{stderr[-4000:]}")


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    urn: str
    message: str
    level: str
    severity: str | None = None
    pack: str = ""
    description: str = ""

    @classmethod
    def from_proto(cls, d: analyzer_pb2.AnalyzeDiagnostic) -> Diagnostic:
        return cls(d.policyName, d.urn, d.message, LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)),
                   SEVERITIES.get(d.severity), d.policyPackName, d.description)


@dataclass(frozen=True)
class CallError:
    """A gRPC call the pack answered with an error (what the engine turns into a failed deployment)."""

    call: str
    urn: str
    code: str
    details: str

    @classmethod
    def from_rpc(cls, call: str, urn: str, error: grpc.RpcError) -> CallError:
        return cls(call, urn, error.code().name, error.details() or "")


def stack_config(project_dir: Path, stack: str, secrets: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """`Pulumi.<stack>.yaml`'s config as the engine passes it to a policy pack, and its secret keys.

    Top-level strings go as they are and everything else as JSON (PropertyMapToConfig in the
    engine); `secure:` values are decrypted by the engine, which a test cannot do, so they become
    `secrets[key]` or a placeholder plaintext.
    """
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secret_keys.append(key)
            value = (secrets or {}).get(key, f"decrypted-{key.rsplit(':', 1)[-1]}")
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, sorted(secret_keys)


def _struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if value:
        message.update(value)
    return message


def _options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = resource.get("options") or {}
    dbr = opts.get("deleteBeforeReplace")
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect", False)),
        ignoreChanges=list(opts.get("ignoreChanges", [])),
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=list(opts.get("additionalSecretOutputs", [])),
        aliases=list(opts.get("aliases", [])),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=resource.get("parent") or "",
    )


def _provider(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerProviderResource | None:
    provider = resource.get("provider")
    if not provider:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider["type"], urn=provider["urn"], name=provider["name"], properties=_struct(provider.get("properties"))
    )


def analyze_request(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource["type"], urn=resource["urn"], name=resource["name"], properties=_struct(resource.get("properties")),
        options=_options(resource), provider=_provider(resource),
    )


def analyzer_resource(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type=resource["type"], urn=resource["urn"], name=resource["name"], properties=_struct(resource.get("properties")),
        options=_options(resource), provider=_provider(resource), parent=resource.get("parent") or "",
        dependencies=list(resource.get("dependencies") or []),
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in (resource.get("propertyDependencies") or {}).items() if urns
        },
    )


class PackProcess:
    """The pack started as the engine starts it; a context manager that always stops it.

    `timings` collects seconds per call: "startup" (process start to port), "handshake",
    "configure_stack", "plugin_info", "analyzer_info", "configure", "analyze" (a list, one per
    resource) and "analyze_stack" (a list, one per call).
    """

    def __init__(
        self,
        engine_address: str,
        pack_dir: Path,
        project_dir: Path,
        stack: str,
        *,
        preview: bool = False,
        extra_env: Mapping[str, str | None] | None = None,
        startup_timeout: float = 60.0,
        call_timeout: float = 120.0,
        config_secrets: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.engine_address = engine_address
        self.pack_dir = Path(pack_dir).resolve()
        self.project_dir = Path(project_dir).resolve()
        self.stack = stack
        self.preview = preview
        self.extra_env = dict(extra_env or {})
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self.config, self.config_secret_keys = stack_config(self.project_dir, stack, config_secrets)
        self.tags = dict(tags) if tags is not None else {"pulumi:project": PROJECT_NAME, "pulumi:runtime": "python"}
        self.timings: dict[str, Any] = {"analyze": [], "analyze_stack": []}
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.analyzer: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.handshake_supported: bool | None = None
        self.info: analyzer_pb2.AnalyzerInfo | None = None
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers: list[threading.Thread] = []

    # -- process -------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """os.environ (the engine passes its own) plus what the engine adds; `extra_env` last (None removes)."""
        env = dict(os.environ)
        for inherited in ("MLOPS_STACK", "MLOPS_OPA_URL", "PULUMI_CONFIG_SECRET_KEYS"):
            env.pop(inherited, None)
        env.update({
            "PULUMI_STACK": self.stack,
            "PULUMI_PROJECT": PROJECT_NAME,
            "PULUMI_ORGANIZATION": ORGANIZATION,
            "PULUMI_DRY_RUN": "true" if self.preview else "false",
            "PULUMI_CONFIG": json.dumps(self.config),
            # The venv has mlops installed editable (a .pth naming infra/); an explicit path keeps
            # the pack importable from any interpreter that has the dependencies.
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "infra"), os.environ.get("PYTHONPATH", "")) if p),
            # The pulumi-analyzer-policy-python shim puts the pack's virtualenv first on PATH.
            "PATH": os.pathsep.join(p for p in (str(Path(sys.executable).parent), os.environ.get("PATH", "")) if p),
        })
        for key, value in self.extra_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def _pump(self, stream: Any, sink: list[str], lines: bool) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode(errors="replace")
            sink.append(text)
            if lines:
                self._lines.put(text)
        if lines:
            self._lines.put(None)
        stream.close()

    def start(self) -> PackProcess:
        # The engine passes "." with the pack directory as the working directory (NewPolicyAnalyzer).
        command = [sys.executable, "-u", "-m", "pulumi.policy", self.engine_address, "."]
        started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=self.pack_dir, env=self.environment(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self._stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.process.stderr, self._stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        deadline = started + self.startup_timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                self._fail("no port within %.0f s" % self.startup_timeout)
            if line is None:
                self._fail("exited before printing a port")
            # The engine reads exactly one line and fails on anything but a number (a stray print
            # before the port breaks `pulumi up`), so the harness does too.
            if not line.strip().isdigit():
                self._fail(f"wrote a non-numeric port to stdout ({line.strip()!r})")
            self.port = int(line.strip())
            break
        self.timings["startup"] = time.perf_counter() - started
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}", options=_CHANNEL_OPTIONS)
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.analyzer = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self

    def _fail(self, reason: str) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        returncode = self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        raise PackFailedToStart(None if reason.startswith(("no port", "wrote")) else returncode, self.stdout, self.stderr, reason)

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            for reader in self._readers:
                reader.join(timeout=5)

    def __enter__(self) -> PackProcess:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, name: str, method: Any, request: Any) -> Any:
        if self.analyzer is None:
            raise RuntimeError("the pack is not running")
        started = time.perf_counter()
        try:
            return method(request, timeout=self.call_timeout)
        finally:
            elapsed = time.perf_counter() - started
            if isinstance(self.timings.get(name), list):
                self.timings[name].append(elapsed)
            else:
                self.timings[name] = elapsed

    def handshake(self) -> bool:
        """Handshake as the engine sends it; False when the pack does not implement it (the engine then carries on)."""
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self.engine_address, root_directory=str(self.pack_dir), program_directory=str(self.pack_dir)
        )
        try:
            self._call("handshake", self.analyzer.Handshake, request)
            self.handshake_supported = True
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            self.handshake_supported = False
        return self.handshake_supported

    def configure_stack(self) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack, project=PROJECT_NAME, organization=ORGANIZATION, dry_run=self.preview,
            config=self.config, config_secret_keys=self.config_secret_keys, tags=self.tags,
        )
        try:
            self._call("configure_stack", self.analyzer.ConfigureStack, request)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:  # the engine tolerates only UNIMPLEMENTED
                raise

    def plugin_info(self) -> plugin_pb2.PluginInfo:
        return self._call("plugin_info", self.analyzer.GetPluginInfo, empty_pb2.Empty())

    def analyzer_info(self) -> dict[str, str]:
        """Policy name -> its default enforcement level ("mandatory", "advisory", ...)."""
        self.info = self._call("analyzer_info", self.analyzer.GetAnalyzerInfo, empty_pb2.Empty())
        return {p.name: LEVELS.get(p.enforcementLevel, str(p.enforcementLevel)) for p in self.info.policies}

    def configure(self, levels: Mapping[str, str] | None = None) -> None:
        """Configure one PolicyConfig per policy, as the engine does; by default each policy's own level.

        Every entry carries its level explicitly: pulumi_policy takes the proto's level as given,
        and the zero value is ADVISORY, so a config entry without one would demote a mandatory policy.
        """
        if levels is None:
            if self.info is None:
                self.analyzer_info()
            levels = {p.name: LEVELS[p.enforcementLevel] for p in self.info.policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
            name: analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[level], properties=struct_pb2.Struct())
            for name, level in levels.items()
        })
        self._call("configure", self.analyzer.Configure, request)

    def analyze(self, resource: Mapping[str, Any]) -> list[Diagnostic]:
        response = self._call("analyze", self.analyzer.Analyze, analyze_request(resource))
        return [Diagnostic.from_proto(d) for d in response.diagnostics]

    def analyze_stack(self, resources: Sequence[Mapping[str, Any]]) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[analyzer_resource(r) for r in resources])
        response = self._call("analyze_stack", self.analyzer.AnalyzeStack, request)
        return [Diagnostic.from_proto(d) for d in response.diagnostics]


# --- resources as the engine sends them ---------------------------------------------------------


def is_offline_stand_in(value: str) -> bool:
    """Whether an offline plan's string stands for a value only the provider computes (unknown on a first preview)."""
    return any(marker in value for marker in OFFLINE_STAND_INS)


def with_unknowns(value: Any) -> Any:
    """`value` with every computed string replaced by the unknown sentinel.

    A string is replaced whole, JSON policy documents and pipeline definitions included: a string
    built from an unknown output is itself unknown (Pulumi cannot know part of a string).
    """
    if isinstance(value, str):
        return UNKNOWN if is_offline_stand_in(value) else value
    if isinstance(value, list):
        return [with_unknowns(v) for v in value]
    if isinstance(value, dict):
        return {k: with_unknowns(v) for k, v in value.items()}
    return value


def contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False


def secret(value: Any) -> dict[str, Any]:
    """`value` as the engine marshals a secret (KeepSecrets)."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def with_secrets(resource: Mapping[str, Any], paths: Iterable[Sequence[str | int]]) -> dict[str, Any]:
    """A copy of `resource` whose property at each path (keys / list indexes under `properties`) is a secret."""
    copied = copy.deepcopy(dict(resource))
    for path in paths:
        *parents, last = path
        node = copied["properties"]
        for key in parents:
            node = node[key]
        node[last] = secret(node[last])
    return copied


def root_stack_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT_NAME}::pulumi:pulumi:Stack::{PROJECT_NAME}-{stack}"


def resources_from_plan(
    plan_json: Mapping[str, Any], *, preview: bool, engine_resources: bool = False
) -> list[dict[str, Any]]:
    """The plan's resources as AnalyzerResource-ready dicts, in plan order.

    `properties` are the plan's inputs (in an update AnalyzeStack gets the provider's outputs,
    which add computed attributes such as id/arn/tagsAll; the plan has no outputs). With
    `preview=True` every value computed from another resource's outputs is unknown.
    `engine_resources=True` adds what the engine also has in its resource list: the root
    `pulumi:pulumi:Stack` (parent of every parentless resource) and the default `aws` and
    `aws-native` providers, set as each custom resource's `provider`.
    """
    stack = plan_json["stack"]
    resources: list[dict[str, Any]] = []
    providers: dict[str, dict[str, Any]] = {}
    root = root_stack_urn(stack)
    if engine_resources:
        resources.append({"urn": root, "type": "pulumi:pulumi:Stack", "name": f"{PROJECT_NAME}-{stack}", "properties": {},
                          "parent": "", "dependencies": [], "propertyDependencies": {}})
        region = plan_json.get("region", "")
        for package in ("aws", "aws-native"):
            urn = f"urn:pulumi:{stack}::{PROJECT_NAME}::pulumi:providers:{package}::default"
            providers[package] = {"urn": urn, "type": f"pulumi:providers:{package}", "name": "default",
                                  "properties": {"region": region}}
            resources.append({**providers[package], "parent": "", "dependencies": [], "propertyDependencies": {}})
    for r in plan_json["resources"]:
        inputs = copy.deepcopy(r.get("inputs") or {})
        entry: dict[str, Any] = {
            "urn": r["urn"],
            "type": r["type"],
            "name": r["name"],
            "properties": with_unknowns(inputs) if preview else inputs,
            "parent": r.get("parent") or (root if engine_resources else ""),
            "dependencies": list(r.get("dependencies") or []),
            "propertyDependencies": {},
        }
        if engine_resources and r.get("custom"):
            entry["provider"] = providers.get(r["type"].split(":", 1)[0])
        resources.append(entry)
    return resources


# --- the whole sequence -------------------------------------------------------------------------


@dataclass
class PackRun:
    """What one engine run saw: diagnostics per resource and from AnalyzeStack, errors, logs, timings."""

    stack_name: str
    preview: bool
    per_resource: dict[str, list[Diagnostic]]
    stack: list[Diagnostic]
    analyzer_info: dict[str, str]
    engine_log: list[LogEntry]
    timings: dict[str, Any]
    handshake_supported: bool | None
    plugin_version: str
    errors: list[CallError] = field(default_factory=list)
    stderr: str = ""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for found in self.per_resource.values() for d in found] + self.stack

    def findings(self, levels: Iterable[str] = ("mandatory", "advisory")) -> set[tuple[str, str, str]]:
        """(policy, urn, level) of every diagnostic at one of `levels`."""
        wanted = set(levels)
        return {(d.policy, d.urn, d.level) for d in self.diagnostics if d.level in wanted}

    @property
    def blocked(self) -> bool:
        """Whether the engine would stop the deployment: a mandatory diagnostic or a failed call."""
        return bool(self.errors) or any(d.level in ("mandatory", "remediate") for d in self.diagnostics)


def summarize_timings(timings: Mapping[str, Any]) -> dict[str, float]:
    """Flat seconds: start-up, each single call, and count/total/mean/max of the per-resource Analyze calls."""
    flat: dict[str, float] = {}
    for name, value in timings.items():
        if isinstance(value, list):
            if value:
                flat[f"{name}_count"] = float(len(value))
                flat[f"{name}_total"] = sum(value)
                flat[f"{name}_mean"] = sum(value) / len(value)
                flat[f"{name}_max"] = max(value)
        else:
            flat[name] = value
    return flat


def drive(
    pack_dir: Path,
    project_dir: Path,
    stack: str,
    *,
    preview: bool,
    resources: Sequence[Mapping[str, Any]],
    extra_env: Mapping[str, str | None] | None = None,
    levels: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> PackRun:
    """Handshake, ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack.

    Raises PackFailedToStart when the pack does not come up; calls the pack answers with an
    error are recorded in `PackRun.errors` (the engine fails the deployment on any of them).
    """
    with StandInEngine() as engine, PackProcess(
        engine.address, pack_dir, project_dir, stack, preview=preview, extra_env=extra_env, startup_timeout=startup_timeout
    ) as pack:
        pack.handshake()
        pack.configure_stack()
        plugin_version = pack.plugin_info().version
        info = pack.analyzer_info()
        pack.configure(levels)
        errors: list[CallError] = []
        per_resource: dict[str, list[Diagnostic]] = {}
        for resource in resources:
            try:
                per_resource[resource["urn"]] = pack.analyze(resource)
            except grpc.RpcError as e:
                errors.append(CallError.from_rpc("Analyze", resource["urn"], e))
        stack_diagnostics: list[Diagnostic] = []
        try:
            stack_diagnostics = pack.analyze_stack(resources)
        except grpc.RpcError as e:
            errors.append(CallError.from_rpc("AnalyzeStack", "", e))
        return PackRun(
            stack_name=stack, preview=preview, per_resource=per_resource, stack=stack_diagnostics, analyzer_info=info,
            engine_log=list(engine.logs), timings=copy.deepcopy(pack.timings), handshake_supported=pack.handshake_supported,
            plugin_version=plugin_version, errors=errors, stderr=pack.stderr,
        )

