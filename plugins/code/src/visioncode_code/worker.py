"""Child side of the `code-image` renderer: `python -m visioncode_code.worker`.

Highlighting untrusted text runs Pygments' regular expressions over it; a hostile text can
make some lexers backtrack for a very long time. So drawing happens in a warm sandboxed
worker (`visioncode.Worker`, with its per-job walls and wall clock), never in the host.
The answer carries the PNG as base64 (no file changes hands) and the layout metadata.
"""

from __future__ import annotations

import base64
import io
from typing import Any


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("ping"):
        return {"ok": True}
    from .draw import draw

    try:
        image, meta = draw(request["text"], **request.get("options", {}))
    except ValueError as exc:
        return {"ok": False, "kind": "ValueError", "error": str(exc)[:2000]}
    buffer = io.BytesIO()
    dpi = int(request.get("dpi", 300))
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return {"ok": True, "png": base64.b64encode(buffer.getvalue()).decode(), "meta": meta}


def main() -> None:
    import pygments.lexers  # noqa: F401 (imported once, before any job)

    from visioncode import serve

    from . import draw

    draw.draw("def warm(up):\n    return 1\n", language="python")  # load fonts and lexers
    serve(handle)


if __name__ == "__main__":
    main()
