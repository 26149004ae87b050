"""The `command` model: a real child process per request, the request as JSON on stdin,
the answer on stdout, exit statuses classified for the core."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from models_support import image_request
from pydantic import ValidationError

from visioncode import ComponentContext, Message, ModelError, ModelRequest
from visioncode.config import ModelCallsSpec
from visioncode.model_calls import ModelCalls
from visioncode_models.command_model import CommandModel, CommandOptions

SCRIPT = """#!{python}
import json, os, sys, time
request = json.load(sys.stdin)
with open("received.json", "w") as fh:
    json.dump(request, fh)
mode = os.environ.get("MODE", "text")
if mode == "flaky":
    if not os.path.exists("attempted"):
        open("attempted", "w").close()
        print("busy, try later", file=sys.stderr)
        sys.exit(75)
if mode == "auth":
    print("licence server refused us", file=sys.stderr)
    sys.exit(77)
if mode == "crash":
    print("Traceback: something broke", file=sys.stderr)
    sys.exit(3)
if mode == "sleep":
    time.sleep(30)
if mode == "badjson":
    print("not json")
    sys.exit(0)
image = next(p for m in request["messages"] for p in m["content"] if p["type"] == "image")
size = os.path.getsize(image["path"])
svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><!-- {{size}} --></svg>'
if mode == "json":
    print(json.dumps({{"text": svg, "model": "my-local-model",
                      "usage": {{"input_tokens": 12, "output_tokens": 34}}}}))
else:
    print(svg, end="")
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "my_model.py"
    path.parent.mkdir()
    path.write_text(SCRIPT.format(python=sys.executable))
    path.chmod(0o755)
    return path


def command(tmp_path: Path, **options: Any) -> CommandModel:
    opts = CommandOptions(**{"command": ["bin/my_model.py"], **options})
    return CommandModel(opts, ComponentContext(name="command", base_dir=tmp_path))


def test_text_answer_and_the_request_on_stdin(script: Path, two_rectangles: Path,
                                              tmp_path: Path) -> None:
    request = image_request(two_rectangles, sample_id="cat", round=2, purpose="revise")
    completion = command(tmp_path).generate(request)
    assert completion.text.startswith("<svg") and str(two_rectangles.stat().st_size) in \
        completion.text
    assert completion.model == "my_model.py" and completion.usage.calls == 1
    received = json.loads((tmp_path / "received.json").read_text())  # ran in the base dir
    assert received["sample_id"] == "cat" and received["round"] == 2
    assert received["purpose"] == "revise"
    assert received["messages"][0]["content"] == [
        {"type": "text", "text": "Write SVG code for this image."},
        {"type": "image", "path": str(two_rectangles), "media_type": "image/png",
         "detail": "auto"}]


def test_json_answer_carries_usage_and_model(script: Path, two_rectangles: Path,
                                             tmp_path: Path) -> None:
    model = command(tmp_path, output="json", env={"MODE": "json"})
    completion = model.generate(image_request(two_rectangles))
    assert completion.model == "my-local-model"
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (12, 34)


def test_bad_json_answer_is_a_clear_error(script: Path, tmp_path: Path) -> None:
    model = command(tmp_path, output="json", env={"MODE": "badjson"})
    with pytest.raises(ModelError, match=r"printed no valid JSON answer.*'not json") as info:
        model.generate(ModelRequest(messages=[Message.of("user", "hi")]))
    assert not info.value.retryable


def test_exit_75_is_retried_by_the_core(script: Path, two_rectangles: Path,
                                        tmp_path: Path) -> None:
    model = command(tmp_path, env={"MODE": "flaky"})
    calls = ModelCalls(ModelCallsSpec(backoff_base_s=0.01), tmp_path)
    completion = calls.call(model, image_request(two_rectangles), model.generate)
    assert completion.text.startswith("<svg") and completion.usage.retries == 1


def test_exit_77_is_an_auth_failure_and_other_statuses_quote_stderr(
    script: Path, tmp_path: Path
) -> None:
    request = ModelRequest(messages=[Message.of("user", "hi")])
    with pytest.raises(ModelError, match="licence server refused us") as info:
        command(tmp_path, env={"MODE": "auth"}).generate(request)
    assert info.value.auth
    with pytest.raises(ModelError, match=r"exited with status 3: Traceback: something") as info:
        command(tmp_path, env={"MODE": "crash"}).generate(request)
    assert not info.value.retryable and not info.value.auth


def test_timeout_kills_the_process_and_is_retryable(script: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ModelError, match=r"no answer within 0.3 s") as info:
        command(tmp_path, env={"MODE": "sleep"}, timeout_s=0.3).generate(
            ModelRequest(messages=[Message.of("user", "hi")]))
    assert info.value.retryable and time.perf_counter() - started < 5


def test_missing_or_non_executable_program_fails_at_start(tmp_path: Path, script: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        command(tmp_path, command=["bin/nope.py"])
    with pytest.raises(ModelError, match="not found on PATH"):
        command(tmp_path, command=["no-such-program-xyz"])
    script.chmod(0o644)
    with pytest.raises(ModelError, match="not executable"):
        command(tmp_path)


def test_cache_key_only_when_asked_and_follows_the_script(script: Path, tmp_path: Path) -> None:
    assert command(tmp_path).cache_key() is None
    key = command(tmp_path, cache=True).cache_key()
    assert key is not None and key["provider"] == "command" and "temperature" not in key
    script.write_text(script.read_text() + "\n# edited\n")
    assert command(tmp_path, cache=True).cache_key() != key
    assert command(tmp_path).endpoint() is not None
    assert command(tmp_path, limit_concurrency=False).endpoint() is None


def test_options_are_validated() -> None:
    with pytest.raises(ValidationError):
        CommandOptions(command=[])
    with pytest.raises(ValidationError):
        CommandOptions(command=["x"], output="yaml")
