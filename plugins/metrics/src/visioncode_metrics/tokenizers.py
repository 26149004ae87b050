"""Named BPE tokenizers for token counts, loaded from local files only.

VCode reports the length of an SVG in tokens of tiktoken's `cl100k_base` encoding
(`evaluation/metrics.py`: `tiktoken.get_encoding("cl100k_base")`). `tiktoken` itself
downloads the encoding's rank file from openaipublic.blob.core.windows.net on first use,
which a metric must never do in the middle of a run (and cannot, offline). So the rank
file is looked up locally, in this order, and checked against the SHA-256 that tiktoken
itself expects for it:

1. the metric's `tokenizer_file` option (relative to the pipeline file);
2. `$VISIONCODE_TOKENIZERS_DIR/<name>.tiktoken`;
3. `<user cache>/visioncode/tokenizers/<name>.tiktoken` (`$XDG_CACHE_HOME` or `~/.cache`);
4. tiktoken's own cache (`$TIKTOKEN_CACHE_DIR`, `$DATA_GYM_CACHE_DIR`, or
   `<tmp>/data-gym-cache`), where a machine that used tiktoken online already has it.

`visioncode-metrics tokenizer fetch cl100k_base` puts it in (3) without touching
openaipublic: it takes the ranks from the `tiktoken` npm package (MIT; it ships every
OpenAI encoding as `encoders/<name>.json`), rewrites them in tiktoken's file format and
keeps the file only if its SHA-256 is the one tiktoken expects, i.e. if it is byte for
byte the file tiktoken would have downloaded. `... tokenizer install cl100k_base FILE`
installs a `.tiktoken` file copied from elsewhere, with the same check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visioncode import VisioncodeError

ENV_DIR = "VISIONCODE_TOKENIZERS_DIR"
#: The npm package the fetch command takes the rank files from (pinned).
NPM_SOURCE = "tiktoken@1.0.22"


@dataclass(frozen=True)
class TokenizerSpec:
    """Everything but the ranks: how tiktoken builds the encoding, where the rank file
    comes from, and its SHA-256 (both as in `tiktoken_ext.openai_public`)."""

    name: str
    url: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int] = field(default_factory=dict)


KNOWN: dict[str, TokenizerSpec] = {
    "cl100k_base": TokenizerSpec(
        name="cl100k_base",
        url="https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
                 r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""),
        special_tokens={"<|endoftext|>": 100257, "<|fim_prefix|>": 100258,
                        "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
                        "<|endofprompt|>": 100276},
    ),
}


class TokenizerError(VisioncodeError):
    """A tokenizer is unknown, missing or corrupt. The message says how to provide it."""


def user_dir() -> Path:
    """Where `fetch` and `install` put rank files: $VISIONCODE_TOKENIZERS_DIR, else
    `<XDG cache>/visioncode/tokenizers`."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "visioncode" / "tokenizers"


def tiktoken_cache_file(spec: TokenizerSpec) -> Path:
    """Where tiktoken caches the spec's rank file (its own naming: sha1 of the URL)."""
    cache = (os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
             or str(Path(tempfile.gettempdir()) / "data-gym-cache"))
    return Path(cache) / hashlib.sha1(spec.url.encode()).hexdigest()


def candidates(spec: TokenizerSpec, given: Path | None = None) -> list[Path]:
    """The places a rank file is looked for, in order (see the module docstring)."""
    if given is not None:
        return [given]
    places = [user_dir() / f"{spec.name}.tiktoken"]
    if os.environ.get(ENV_DIR):  # the default folder is still searched after the variable's
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        places.append(Path(cache) / "visioncode" / "tokenizers" / f"{spec.name}.tiktoken")
    places.append(tiktoken_cache_file(spec))
    return places


def how_to_provide(spec: TokenizerSpec) -> str:
    return (f"provide it with `visioncode-metrics tokenizer fetch {spec.name}` (takes it "
            f"from the npm package {NPM_SOURCE}; needs npm), or download {spec.url} "
            f"elsewhere and run `visioncode-metrics tokenizer install {spec.name} FILE`, or "
            f"point the metric's `tokenizer_file` option (or ${ENV_DIR}) at it")


def spec_for(name: str, known: dict[str, TokenizerSpec] | None = None) -> TokenizerSpec:
    table = KNOWN if known is None else known
    if name not in table:
        raise TokenizerError(f"unknown tokenizer {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def parse_ranks(data: bytes, origin: str) -> dict[bytes, int]:
    """tiktoken's rank-file format: one `base64(token) rank` pair per line."""
    ranks: dict[bytes, int] = {}
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as exc:
            raise TokenizerError(f"{origin}:{lineno}: not a tiktoken rank file ({exc})") from None
    return ranks


def read_verified(spec: TokenizerSpec, path: Path) -> bytes:
    """The bytes of `path` if their SHA-256 is the spec's, else TokenizerError."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise TokenizerError(
            f"{path} is not the {spec.name} rank file (sha256 {digest[:16]}..., expected "
            f"{spec.sha256[:16]}...); remove it and {how_to_provide(spec)}")
    return data


_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def load_encoding(name: str, tokenizer_file: Path | None = None,
                  known: dict[str, TokenizerSpec] | None = None) -> Any:
    """The `tiktoken.Encoding` for `name`, built from a verified local rank file.
    Raises TokenizerError naming every place looked in and how to provide the file."""
    spec = spec_for(name, known)
    places = candidates(spec, tokenizer_file)
    path = next((p for p in places if p.is_file()), None)
    if path is None:
        looked = ", ".join(str(p) for p in places)
        raise TokenizerError(f"tokenizer {name!r}: rank file not found (looked in {looked}); "
                             f"{how_to_provide(spec)}")
    key = (spec.name, str(path.resolve()))
    with _lock:
        if key not in _cache:
            import tiktoken  # a compiled extension: imported only when tokens are counted

            ranks = parse_ranks(read_verified(spec, path), str(path))
            _cache[key] = tiktoken.Encoding(spec.name, pat_str=spec.pat_str,
                                            mergeable_ranks=ranks,
                                            special_tokens=dict(spec.special_tokens))
        return _cache[key]


def count_tokens(encoding: Any, text: str) -> int:
    """Tokens of `text`, with special-token strings counted as ordinary text (a program
    that contains `<|endoftext|>` is measured, not refused)."""
    return len(encoding.encode(text, disallowed_special=()))


# -- providing rank files ---------------------------------------------------------------


def install(name: str, source: Path, dest_dir: Path | None = None,
            known: dict[str, TokenizerSpec] | None = None) -> Path:
    """Copy a rank file into the user directory after checking its SHA-256."""
    spec = spec_for(name, known)
    data = read_verified(spec, source)
    return _write(dest_dir or user_dir(), spec, data, {"source": str(source)})


def ranks_from_npm_json(encoder: dict[str, Any]) -> bytes:
    """Rewrite the `bpe_ranks` of the npm `tiktoken` package's `encoders/<name>.json`
    in tiktoken's rank-file format. There, each line is `<key> <first rank> <token>
    <token> ...`: consecutive ranks from the first, tokens in base64."""
    pairs: list[tuple[int, str]] = []
    for line in str(encoder["bpe_ranks"]).split("\n"):
        parts = line.split(" ")
        if len(parts) < 3:
            continue
        first = int(parts[1])
        pairs += [(first + i, tok) for i, tok in enumerate(parts[2:]) if tok]
    pairs.sort()
    return "".join(f"{tok} {rank}\n" for rank, tok in pairs).encode()


def fetch_from_npm(name: str, dest_dir: Path | None = None, npm: str = "npm",
                   package: str = NPM_SOURCE,
                   known: dict[str, TokenizerSpec] | None = None) -> Path:
    """Take `name`'s ranks from the npm `tiktoken` package (`npm pack`, no scripts run),
    convert them, and install them if the result is the file tiktoken expects."""
    spec = spec_for(name, known)
    exe = shutil.which(npm)
    if exe is None:
        raise TokenizerError(f"npm not found; {how_to_provide(spec)}")
    with tempfile.TemporaryDirectory(prefix="visioncode-tokenizer-") as tmp:
        done = subprocess.run(
            [exe, "pack", package, "--pack-destination", tmp, "--json", "--ignore-scripts"],
            capture_output=True, text=True, timeout=300, cwd=tmp, check=False)
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise TokenizerError(f"npm pack {package} failed: {tail}")
        filename = json.loads(done.stdout)[0]["filename"]
        with tarfile.open(Path(tmp) / filename) as tar:
            member = tar.extractfile(f"package/encoders/{name}.json")
            if member is None:
                raise TokenizerError(f"{package} has no encoders/{name}.json")
            encoder = json.load(member)
            manifest = tar.extractfile("package/package.json")
            licence = str(json.load(manifest).get("license", "unknown")) if manifest \
                else "unknown"
    data = ranks_from_npm_json(encoder)
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise TokenizerError(
            f"{package} encoders/{name}.json does not give the {name} file tiktoken expects "
            f"(sha256 {digest[:16]}..., expected {spec.sha256[:16]}...); not installed")
    return _write(dest_dir or user_dir(), spec, data,
                  {"source": f"npm package {package}", "source_licence": licence})


def _write(dest_dir: Path, spec: TokenizerSpec, data: bytes, provenance: dict[str, str]) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{spec.name}.tiktoken"
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    about = {"name": spec.name, "sha256": spec.sha256, "same_as": spec.url, **provenance}
    (dest_dir / f"{spec.name}.json").write_text(json.dumps(about, indent=2) + "\n")
    return target
