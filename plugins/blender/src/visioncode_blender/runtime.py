"""Where bpy runs: a persistent worker process in bpy's own interpreter.

`bpy` (PyPI `bpy==5.0.1`, Python 3.11) pins `numpy<2`, so it cannot share the framework's
environment; the setup step `scripts/setup.d/40-blender.sh` makes `.venv-blender` for it.
`BpyWorker` starts `visioncode_bpy_worker` there (or inside a user's Blender binary) through
`visioncode.Worker`, which gives it its own session, rlimits, a private network namespace
and a kill-and-replace when it stops answering. The worker is a zygote: it imports bpy
once and runs every job in a fresh child forked from it, walled by the kernel before the
job's request is read (its own cgroup, Landlock narrowed to the job's folder, seccomp, no
new processes: `bpy_side/visioncode_bpy_walls.py`), so a patched module or a planted
process cannot outlive its sample. Each job gets a folder of its own, made by the host
and removed after it; every answer is validated (`protocol`) and every file is taken from
the job's folder with `visioncode.take_file`. The JSON protocol is in docs/blender.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import signal
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from visioncode import ComponentOptions, Limits, SandboxError, Worker, parse_answer

from .protocol import Failure

M = TypeVar("M", bound=BaseModel)
#: Seconds the host waits beyond a job's wall time before it deems the worker hung (the
#: worker itself stops a job at its wall time and answers).
HUNG_MARGIN_S = 30.0

#: The folder holding the worker's modules; it is the worker's PYTHONPATH.
BPY_SIDE = Path(__file__).resolve().parent / "bpy_side"
WORKER_MODULE = "visioncode_bpy_worker"
WORKER_SCRIPT = BPY_SIDE / f"{WORKER_MODULE}.py"
PYTHON_ENV = "VISIONCODE_BLENDER_PYTHON"
VENV_NAME = ".venv-blender"
SETUP_HINT = (
    "run `bash scripts/setup` (its step scripts/setup.d/40-blender.sh creates "
    f"{VENV_NAME} with bpy==5.0.1 for Python 3.11), or point the `python` option or the "
    f"{PYTHON_ENV} environment variable at a Python that has bpy, or set `blender_binary` "
    "to a Blender executable"
)


class BlenderNotFoundError(RuntimeError):
    """No bpy interpreter and no Blender binary: the message names the setup step."""


class BpyOptions(ComponentOptions):
    """Where bpy runs and under which limits; shared by the executor and the renderers."""

    python: Path | None = Field(
        None, description="Python interpreter that has bpy; default: $VISIONCODE_BLENDER_"
        "PYTHON, else .venv-blender/bin/python in the pipeline's folder, the current "
        "folder, or one of their parents")
    blender_binary: Path | None = Field(
        None, description="a Blender executable to run the worker in instead "
        "(`blender -b --factory-startup --python worker.py`); overrides `python`")
    limits: Limits = Field(
        default_factory=lambda: Limits(wall_time_s=120, memory_mb=8192, file_size_mb=512),
        description="limits of the bpy worker; wall_time_s applies per job. memory_mb is "
        "the address-space limit: EEVEE on llvmpipe peaks near 3.5 GB of address space")
    startup_timeout_s: float = Field(
        180.0, gt=0, description="seconds allowed for the worker to import bpy and start")
    shader_cache: Path | None = Field(
        None, description="folder of compiled-shader caches (Mesa's and Blender's) kept "
        "across workers, the one folder outside its scratch a worker may write: EEVEE and "
        "Workbench compile hundreds of shaders on first use (minutes on llvmpipe). Default: "
        "blender-shaders in the visioncode cache folder")


def find_python(option: Path | None, base_dirs: list[Path]) -> Path:
    """The bpy interpreter: the option, else $VISIONCODE_BLENDER_PYTHON, else the first
    `.venv-blender/bin/python` found in `base_dirs` or their parents."""
    if option is not None:
        if not option.exists():
            raise BlenderNotFoundError(f"python option {option} does not exist; {SETUP_HINT}")
        return option
    env = os.environ.get(PYTHON_ENV)
    if env:
        if not Path(env).exists():
            raise BlenderNotFoundError(f"{PYTHON_ENV}={env} does not exist; {SETUP_HINT}")
        return Path(env)
    searched = []
    for base in base_dirs:
        for folder in [base.resolve(), *base.resolve().parents]:
            candidate = folder / VENV_NAME / "bin" / "python"
            searched.append(str(folder))
            if candidate.exists():
                return candidate
    raise BlenderNotFoundError(f"no {VENV_NAME} found (searched {', '.join(searched[:6])}"
                               f"{', ...' if len(searched) > 6 else ''}); {SETUP_HINT}")


def blender_launcher(folder: Path, blender: Path) -> Path:
    """A launcher that `visioncode.Worker` can start as its `python` (it appends
    `-m module`, which the launcher ignores): it runs the worker script inside Blender
    and carries the protocol on fd 3, because Blender prints its banner on stdout."""
    if not blender.exists():
        raise BlenderNotFoundError(f"blender_binary {blender} does not exist; {SETUP_HINT}")
    script = folder / "launch-blender.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# Starts the visioncode bpy worker inside a Blender binary; the arguments\n"
        "# `-m visioncode_bpy_worker` given by visioncode.Worker are not Blender's.\n"
        "exec 3>&1 1>&2\n"
        "VISIONCODE_BPY_PROTOCOL_FD=3 exec \"$VISIONCODE_BLENDER_BINARY\" -b "
        "--factory-startup --python-exit-code 1 --python \"$VISIONCODE_BPY_WORKER_SCRIPT\"\n",
        encoding="utf-8")
    script.chmod(0o700)
    return script


def _walls_file() -> str | None:
    """Core's kernel walls (standard library only), for the bpy side to load by path."""
    try:
        from visioncode.sandbox import walls
    except ImportError:
        return None
    return str(Path(walls.__file__).resolve())


class BpyWorker:
    """One persistent bpy zygote and its private folders.

    `runtime/` (outside the sandbox's reach) holds the Blender launcher; `runtime/scratch`
    is the only folder the worker may write: each job gets a fresh `scratch/jobs/<job>`
    (the only folder its child may write), `scratch/tmp` is Blender's temporary folder,
    `scratch/home` its HOME. Callers serialise jobs with `lock`."""

    def __init__(self, options: BpyOptions, base_dirs: list[Path], name: str,
                 cache_dir: Path) -> None:
        self.options = options
        self.shader_cache = (options.shader_cache or cache_dir / "blender-shaders").resolve()
        self.base_dirs = base_dirs
        self.name = name
        self._worker: Worker | None = None
        self._release: weakref.finalize[Any, Any] | None = None
        self.runtime: Path | None = None
        self.lock = threading.Lock()
        #: The worker's own description (bpy version, Landlock ABI), after start-up.
        self.info: dict[str, Any] = {}
        #: Processes the last job left behind (killed by `sweep`).
        self.leftovers: list[int] = []
        self._baseline: set[int] = set()
        self._jobs = itertools.count()

    @property
    def scratch(self) -> Path:
        assert self.runtime is not None
        return self.runtime / "scratch"

    def _make(self) -> Worker:
        runtime = Path(tempfile.mkdtemp(prefix=f"visioncode-{self.name}-"))
        scratch = runtime / "scratch"
        for sub in ("jobs", "tmp", "home"):
            (scratch / sub).mkdir(parents=True)
        self.shader_cache.mkdir(parents=True, exist_ok=True)
        env = {"PYTHONPATH": str(BPY_SIDE), "VISIONCODE_BPY_SCRATCH": str(scratch),
               "TMPDIR": str(scratch / "tmp"), "HOME": str(scratch / "home"),
               "VISIONCODE_BPY_CACHE": str(self.shader_cache),
               "MESA_SHADER_CACHE_DIR": str(self.shader_cache / "mesa"),
               "XDG_CACHE_HOME": str(self.shader_cache / "xdg"),
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}
        walls_file = _walls_file()
        if walls_file is not None:
            env["VISIONCODE_BPY_WALLS_FILE"] = walls_file
        try:
            if self.options.blender_binary is not None:
                python = blender_launcher(runtime, self.options.blender_binary)
                env.update(VISIONCODE_BLENDER_BINARY=str(self.options.blender_binary),
                           VISIONCODE_BPY_WORKER_SCRIPT=str(WORKER_SCRIPT))
            else:
                python = find_python(self.options.python, self.base_dirs)
        except BlenderNotFoundError:
            shutil.rmtree(runtime, ignore_errors=True)
            raise
        self.runtime = runtime
        limits = self.options.limits.model_copy(
            update={"writable": [*self.options.limits.writable, self.shader_cache]})
        worker = Worker(WORKER_MODULE, limits, cwd=scratch, env=env,
                        python=str(python), startup_timeout_s=self.options.startup_timeout_s)
        self._release = weakref.finalize(self, _release, worker, runtime)
        return worker

    @property
    def worker(self) -> Worker:
        if self._worker is None:
            self._worker = self._make()
        return self._worker

    @property
    def pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    def job_dir(self) -> Path:
        """A new, empty folder for the next job (`scratch/jobs/job-N-token`): made by the
        host, so nothing an earlier job left can be in it. Remove it with `drop_job`."""
        self.worker  # noqa: B018 (creates the folders on first use)
        job = self.scratch / "jobs" / f"job-{next(self._jobs)}-{secrets.token_hex(6)}"
        job.mkdir()
        return job

    def drop_job(self, job: Path) -> None:
        """Remove a job's folder (links in it are removed, never followed)."""
        if job.parent == self.scratch / "jobs" and not job.is_symlink():
            shutil.rmtree(job, ignore_errors=True)

    def job(self, request: dict[str, Any], model: type[M], job: Path) -> M | Failure:
        """Run one job in `job` (a folder from `job_dir`) and validate its answer into
        `model`, or `Failure` when the job (or the worker) said it failed. Raises
        SandboxError: `bad_answer` for an answer that fits neither, and the worker's own
        failures (it did not start, stopped answering or died)."""
        wall = self.options.limits.wall_time_s
        raw = self.call({**request, "job": str(job), "timeout_s": wall},
                        timeout=wall + HUNG_MARGIN_S)
        if isinstance(raw, dict) and raw.get("ok") is False:
            return parse_answer(Failure, raw)
        return parse_answer(model, raw)

    def call(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """One job. Raises SandboxError (timeout, crashed, memory) after which the next
        call starts a fresh worker; `BlenderNotFoundError` when there is no bpy."""
        worker = self.worker
        try:
            if not worker.alive or not self.info:  # start-up has its own allowance
                self.info = worker.call({"op": "info"}, timeout=30)
                self._baseline = self._session()
            return worker.call(request, timeout)
        except SandboxError:
            self.info, self._baseline = {}, set()
            raise
        finally:
            self.leftovers = self.sweep()

    def _session(self) -> set[int]:
        """Processes in the worker's session (the launcher's own, e.g. bubblewrap, too)."""
        pid = self.pid
        if pid is None:
            return set()
        found = {pid}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 3 and fields[3] == str(pid):  # field 6 of stat: the session
                found.add(int(entry.name))
        return found

    def sweep(self) -> list[int]:
        """Kill processes that joined the worker's session since it started (a program
        that managed to start one despite the guard); return their pids."""
        if not self._baseline:
            return []
        extra = sorted(self._session() - self._baseline)
        for pid in extra:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        return extra

    def crash(self) -> None:
        """Kill the worker as a crash would (for tests and the benchmark)."""
        if self._worker is not None:
            self._worker.kill()

    def close(self) -> None:
        with self.lock:
            if self._release is not None:
                self._release()
            self._worker, self._release, self.runtime = None, None, None


def _release(worker: Worker, runtime: Path) -> None:
    worker.close()
    shutil.rmtree(runtime, ignore_errors=True)


def describe_job_failure(failure: Failure, wall_time_s: float) -> tuple[str, str]:
    """(status, message) for a job that failed outside its program's own lines."""
    if failure.kind == "Timeout":
        return "timeout", (f"the job did not finish within {failure.timeout_s or wall_time_s:g}s"
                           " and was killed (raise limits.wall_time_s for a legitimately "
                           "long job); the warm worker goes on")
    if failure.kind == "Crashed":
        return "crashed", (f"the bpy job's process died: {failure.error} (the program "
                           "crashed Blender, or exceeded a limit); the warm worker goes on")
    if failure.kind == "MemoryError":
        return "memory", f"the bpy job ran out of memory: {failure.error}"
    return "error", f"the bpy worker failed ({failure.kind}): {failure.error}"


def describe_failure(exc: SandboxError, wall_time_s: float) -> tuple[str, str]:
    """(status, message) for a worker that did not answer, or an answer refused."""
    if exc.reason in ("bad_answer", "unsafe_output", "missing_output"):
        return "sandbox_violation", str(exc)
    if exc.reason == "timeout":
        if str(exc).startswith("no start"):  # the worker's own start-up (importing bpy)
            return "timeout", (f"the bpy worker did not start: {exc} (raise "
                               "startup_timeout_s if importing bpy is slow here)")
        return "timeout", (f"the job did not finish within {wall_time_s:g}s; the bpy worker "
                           "was killed and will be replaced")
    if exc.reason == "memory":
        return "memory", f"the bpy worker ran out of memory and was replaced: {exc}"
    return "crashed", f"the bpy worker died and will be replaced: {str(exc)[:1500]}"
