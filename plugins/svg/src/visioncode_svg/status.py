"""One status per SVG round, from the stages the core records separately.

The core records a round's `status` as `ok`, `repaired` (it rendered after a repair of
the extracted text) or the first failing stage's status. The SVG modality's vocabulary,
for reports that tell *what* failed (and what nearly did), is one status per round, the
first that applies:

| status | meaning |
|---|---|
| `no_svg` | the output holds no `<svg` element |
| `parse_error` | the SVG is not well-formed, or is rejected (entities, size, `<use>` explosion) |
| `unsafe` | `on_unsafe = "fail"` and it holds scripts, handlers or external/local references |
| `timeout` | the renderer did not finish within `limits.wall_time_s` |
| `render_error` | the renderer failed or its worker crashed (memory limit, library error) |
| `repaired` | it rendered, after a repair of the extracted text (see `extract`) |
| `ok` | it rendered as written |

Any other status the core gives (`error` for a crashed component, an executor's own) is
passed through unchanged.
"""

from __future__ import annotations

from visioncode import RoundRecord

STATUSES = ("ok", "repaired", "no_svg", "parse_error", "unsafe", "render_error", "timeout")


def svg_status(round_record: RoundRecord) -> str:
    """The round's status in the SVG vocabulary (see the module docstring)."""
    status = round_record.status
    if round_record.rendered:
        return status  # `ok`, or `repaired` when the program rendered after a repair
    if status == "ok":  # no failure recorded, yet nothing rendered
        rendering = round_record.rendering
        if rendering is not None and rendering.status == "timeout":
            return "timeout"
        return "render_error"
    return status
