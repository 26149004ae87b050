"""The Blender battery: hostile bpy programs answered by a model (replayed) through a
whole img2scene-style pipeline with the real `blender` executor (persistent bpy worker in
.venv-blender) and the `workbench` renderer.

Each case must end with its sample failed for a specific recorded reason, nothing reaching
the network, nothing changed outside the worker's scratch folder, nothing left running,
and the good samples around it finished correctly. bpy's own file operators (saving a
.blend, loading a text) are in the battery too: they run in C, past the audit hook, and
are stopped by the kernel (Landlock). Enormous output is the one case that succeeds: it is
capped, not fatal."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode.records import SampleRecord

from ..conftest import ROOT
from .harness import Canary, Listener, outside_temp, run_battery, wait_gone

pytestmark = [pytest.mark.security, pytest.mark.slow]

SLEEP_MARKER = "876.5432"


def program(body: str) -> str:
    return ("```python\nimport bpy, os, sys, socket, subprocess\n"
            "bpy.ops.mesh.primitive_cube_add()\n" + body.strip("\n") + "\n```\n")


GOOD = program('bpy.context.object.name = "Fine"')


@pytest.fixture
def home_with_key() -> Iterator[Path]:
    home = outside_temp() / f"home-{uuid.uuid4().hex[:8]}"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("SSH-PRIVATE-KEY-9d1f")
    yield home
    shutil.rmtree(home, ignore_errors=True)


def config(replay: Path) -> str:
    return f"""
[task]
name = "img2scene"
prompt = "Rebuild {{text}}"

[dataset]
path = "{{dataset}}"

[model]
use = "replay"
[model.options]
path = "{replay}"

[executor]
use = "blender"
[executor.options.limits]
wall_time_s = 20
memory_mb = 8192

[renderer]
use = "workbench"

[render]
width = 64
height = 48

[[metrics]]
use = "render-success"

[run]
workers = 1
"""


def run_text(run: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*")
                     if p.is_file() and p.suffix != ".blend")


def test_hostile_programs_fail_their_own_samples(
    tmp_path: Path, listener: Listener, canary: Canary, home_with_key: Path,
) -> None:
    key = home_with_key / ".ssh" / "id_rsa"
    secret = canary.file
    port = listener.port
    answers = {
        "good-first": GOOD,
        "endless-loop": program("while True:\n    pass"),
        "fork-bomb": program("while True:\n    os.fork()"),
        "memory-hog": program("hog = bytearray(64 * 1024 ** 3)"),
        "read-passwd": program('print(open("/etc/passwd").read())'),
        "read-ssh-key": program(f'print(open("{key}").read())'),
        "read-project": program(f'print(open("{ROOT / "pyproject.toml"}").read())'),
        "read-canary": program(f'print(open("{secret}").read())'),
        "bpy-read-canary": program(f'print(bpy.data.texts.load("{secret}").as_string())'),
        "list-project": program(f'print(os.listdir("{ROOT}"))'),
        "write-outside": program(f'open("{canary.path / "planted.txt"}", "w").write("x")'),
        "bpy-save-outside": program(
            f'bpy.ops.wm.save_as_mainfile(filepath="{canary.path / "planted.blend"}")'),
        # the temp folder is writable for sandboxed children in general: only the
        # worker's own confinement keeps a program inside its scratch folder there
        "bpy-save-temp": program(
            f'bpy.ops.wm.save_as_mainfile(filepath="{tmp_path / "planted.blend"}")'),
        "write-temp": program(f'open("{tmp_path / "planted.txt"}", "w").write("x")'),
        "overwrite-canary": program(f'open("{secret}", "w").write("owned")'),
        "delete-canary": program(f'os.remove("{secret}")'),
        "rmtree-canary": program(f'import shutil\nshutil.rmtree("{canary.path}")'),
        "os-system": program(f'os.system("echo owned > {canary.path / "system.txt"}")'),
        "http": program("import urllib.request\n"
                        f'urllib.request.urlopen("{listener.http_url}leak", timeout=2)'),
        "websocket": program(
            "s = socket.create_connection(('127.0.0.1', " + str(port) + "), timeout=2)\n"
            "s.sendall(b'GET /ws HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\n"
            "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\\r\\n"
            "Sec-WebSocket-Version: 13\\r\\n\\r\\n')"),
        "background-process": program(
            f'subprocess.Popen(["sleep", "{SLEEP_MARKER}"], start_new_session=True)'),
        "native-escape": program(
            f'import ctypes\nctypes.CDLL(None).system(b"sleep {SLEEP_MARKER} &")'),
        "enormous-output": program("for i in range(20000):\n"
                                   "    print('o' * 200)\n    print('e' * 200, file=sys.stderr)"),
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(config(replay), tmp_path,
                          [{"id": k, "text": "a hostile scene"} for k in answers])
    run = tmp_path / "battery" / "run"
    assert set(records) == set(answers)

    def failed(sample: str, status: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = rec.reason or ""
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == status, (sample, rec.rounds[0].status, reason)
        assert all(w in reason for w in words), (sample, reason)
        assert rec.scores["render-success"].values["render_success"] == 0.0
        return rec

    failed("endless-loop", "timeout", "did not finish within 20s")
    failed("fork-bomb", "error", "os.fork is not allowed", "(line 4)")
    failed("memory-hog", "error", "MemoryError", "(line 3)")
    for sample, path in [("read-passwd", "/etc/passwd"), ("read-ssh-key", str(key)),
                         ("read-project", str(ROOT / "pyproject.toml")),
                         ("read-canary", str(secret))]:
        failed(sample, "error", f"reading {path} is not allowed", "(line 3)")
    failed("bpy-read-canary", "error", "(line 3)", "Permission denied")
    failed("list-project", "error", "os.listdir on", str(ROOT))
    failed("write-outside", "error", "writing", "is not allowed", "(line 3)")
    failed("bpy-save-outside", "error", "(line 3)", "Cannot open file", "for writing")
    failed("bpy-save-temp", "error", "(line 3)", "for writing: Permission denied")
    failed("write-temp", "error", f"writing {tmp_path / 'planted.txt'} is not allowed")
    assert not (tmp_path / "planted.blend").exists()
    assert not (tmp_path / "planted.txt").exists()
    failed("overwrite-canary", "error", f"writing {secret} is not allowed")
    failed("delete-canary", "error", f"os.remove on {secret} is not allowed")
    failed("rmtree-canary", "error", "is not allowed", "(line 4)")
    failed("os-system", "error", "os.system is not allowed", "(line 3)")
    failed("http", "error", "network access", "not allowed")
    failed("websocket", "error", "network access (socket.", "(line 3)")
    failed("background-process", "error", "starting a subprocess is not allowed")
    failed("native-escape", "error", "ctypes", "not allowed", "(line 4)")

    loud = records["enormous-output"]
    assert loud.status == "ok", loud.reason
    execution = loud.rounds[0].execution
    assert execution is not None
    assert len(execution.stdout) < 70_000 and "more characters dropped" in execution.stdout
    assert len(execution.stderr) < 70_000 and "more characters dropped" in execution.stderr

    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        objects = rec.rounds[0].execution.metadata["scene"]["objects"]  # type: ignore[union-attr]
        assert [o["name"] for o in objects] == ["Fine"]  # nothing leaked from the others

    # Nothing arrived, nothing leaked into the run, nothing changed, nothing left running.
    assert listener.hits == []
    text = run_text(run)
    for leaked in (canary.secret, "SSH-PRIVATE-KEY", "root:x:0:0"):
        assert leaked not in text
    canary.assert_untouched()
    assert wait_gone(SLEEP_MARKER) == []


# -- past the guard: the kernel's walls of each job's fork, and a distrustful host --------

#: The audit guard switched off through `gc` (its `armed` flag).
GC_DISARM = """
import gc
for _o in gc.get_objects():
    if type(_o).__name__ == "AuditGuard":
        _o.armed = False
"""
#: The same through frame walking: up to the worker's job-child frame, whose `self` (the
#: zygote) holds the guard.
FRAMES_DISARM = """
_fr = sys._getframe()
while _fr is not None:
    _z = _fr.f_locals.get("self")
    if hasattr(_z, "audit"):
        _z.audit.armed = False
    _fr = _fr.f_back
"""


def patch_answer(body: str) -> str:
    """Patch the function that writes the job's answer: `body` changes `obj` (the answer
    dict, after scene.blend was saved) before it is sent."""
    lines = "\n".join("        " + line for line in body.strip("\n").splitlines())
    return ("import json\n_real_dumps = json.dumps\n"
            "def _forged(obj, *a, **k):\n"
            "    if isinstance(obj, dict) and 'files' in obj:\n"
            f"{lines}\n"
            "    return _real_dumps(obj, *a, **k)\n"
            "json.dumps = _forged\n")


def test_programs_past_the_guard_meet_the_kernel_and_a_distrustful_host(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = canary.file
    planted = tmp_path / "planted.txt"  # the host's temp folder
    database = "postgres://app:db-pw-7a2c@db.internal/prod"
    token = "ghp_h2BlenderPat9876543210"
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("GH_PAT", token)
    answers = {
        "good-first": GOOD,
        "gc-read-canary": program(GC_DISARM + f'print(open("{secret}").read())'),
        "gc-write-temp": program(GC_DISARM + f'open("{planted}", "w").write("x")'),
        "frames-list-other-jobs": program(FRAMES_DISARM + 'print(os.listdir(".."))'),
        "gc-exec-shell": program(GC_DISARM + "subprocess.run(['/bin/sh', '-c', "
                                 f"'cat {secret} > {planted}'])"),
        "gc-daemon": program(GC_DISARM + "if os.fork() == 0:\n    os.setsid()\n"
                             "    while True:\n        pass"),
        "gc-ctypes-open": program(
            GC_DISARM + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f'fd = libc.open(b"{secret}", 0)\n'
            'if fd < 0:\n    raise OSError(ctypes.get_errno(), "libc open")'),
        "gc-ctypes-system": program(
            GC_DISARM + "import ctypes\n"
            f'rc = ctypes.CDLL(None).system(b"echo owned > {planted}")\n'
            'if rc != 0:\n    raise RuntimeError(f"libc system gave {rc}")'),
        # a patched worker module and bpy operator: they die with this job's fork
        "patch-worker": program(
            "import visioncode_bpy_scene as s\n"
            "s.summarize = lambda scene: {'objects': [{'name': 'FORGED'}]}\n"
            "bpy.ops.mesh.primitive_cube_add = lambda *a, **k: None"),
        "good-after-patch": GOOD,
        # the answer names host files, or a link / hard link sits where scene.blend was
        "forged-relative": program(patch_answer(
            'obj = dict(obj, files={"scene": "../../../../etc/passwd"})')),
        "forged-absolute": program(patch_answer(
            f'obj = dict(obj, files={{"scene": "{secret}"}})')),
        "link-scene-blend": program(patch_answer(
            f'os.remove("scene.blend"); os.symlink("{secret}", "scene.blend")')),
        "hardlink-scene-blend": program(patch_answer(
            'open("mine", "w").write("x"); os.remove("scene.blend"); '
            'os.link("mine", "scene.blend")')),
        "env-secrets": program("print(dict(os.environ))"),
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(config(replay), tmp_path,
                          [{"id": k, "text": "a hostile scene"} for k in answers])
    run = tmp_path / "battery" / "run"
    assert set(records) == set(answers)

    def failed(sample: str, status: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = rec.reason or ""
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == status, (sample, rec.rounds[0].status, reason)
        assert all(w in reason for w in words), (sample, reason)
        assert "is not allowed" not in reason  # the guard was out of the way
        return rec

    failed("gc-read-canary", "error", "PermissionError", "Permission denied", str(secret))
    failed("gc-write-temp", "error", "PermissionError", "Permission denied", str(planted))
    failed("frames-list-other-jobs", "error", "PermissionError", "Permission denied")
    failed("gc-exec-shell", "error", "PermissionError", "Operation not permitted")
    failed("gc-daemon", "error", "PermissionError", "Operation not permitted")
    failed("gc-ctypes-open", "error", "[Errno 13]", "libc open")
    failed("gc-ctypes-system", "error", "libc system gave")
    failed("forged-relative", "sandbox_violation", "bad_answer", "files")
    failed("forged-absolute", "sandbox_violation", "bad_answer", "files")
    failed("link-scene-blend", "sandbox_violation", "unsafe_output", "a symbolic link")
    failed("hardlink-scene-blend", "sandbox_violation", "unsafe_output", "hard links")

    for sample in ("good-first", "good-after-patch", "good-last", "env-secrets"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        execution = rec.rounds[0].execution
        assert execution is not None
        walls = execution.metadata["walls"]
        assert {"fork-per-job", "no-processes"} <= set(walls), walls
        assert any(w.startswith("landlock") for w in walls), walls
    # the patch of the worker died with its job: the next job summarises truthfully
    objects = records["good-after-patch"].rounds[0].execution.metadata["scene"]["objects"]  # type: ignore[union-attr]
    assert [o["name"] for o in objects] == ["Fine"]

    assert not planted.exists()
    canary.assert_untouched()
    everything = run_text(run)
    for leaked in (canary.secret, database, token, "db-pw-7a2c", "root:x:0:0"):
        assert leaked not in everything
