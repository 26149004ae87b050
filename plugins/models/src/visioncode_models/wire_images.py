"""Images (and whole videos) as HTTP providers receive them: the file's exact bytes,
base64-encoded, with the media type taken from the file name.

The bytes are sent as they are on disk (no re-encoding), so what the model sees is what
the render or dataset holds, and the response cache (which hashes the same bytes) keys on
exactly what was sent.
"""

from __future__ import annotations

import base64

from visioncode import ImagePart, ModelError
from visioncode.messages import VideoPart


def image_base64(part: ImagePart | VideoPart, provider: str) -> str:
    """The file's bytes as base64 text; a missing file is the request's fault."""
    what = "video" if isinstance(part, VideoPart) else "image"
    try:
        data = part.read_bytes()
    except OSError as exc:
        raise ModelError(f"{provider}: cannot read {what} {part.path}: "
                         f"{exc.strerror or exc}", retryable=False) from None
    return base64.b64encode(data).decode("ascii")


def data_url(part: ImagePart | VideoPart, provider: str) -> str:
    """`data:<media type>;base64,<bytes>`, as the Chat Completions `image_url` (and the
    `video_url` of servers that take video) takes."""
    return f"data:{part.media_type};base64,{image_base64(part, provider)}"
