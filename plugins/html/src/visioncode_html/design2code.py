"""The `design2code` metric: Design2Code's block-match, text, position and colour scores
of a rendered page against the sample's reference page.

Both sides' text blocks come from the same place, the DOM in Chromium: the prediction's
from its rendering (`Rendering.metadata["text_blocks"]`, written by the `chromium`
renderer), the reference's from rendering `Sample.reference_program` (an HTML file) on
the same canvas through the same browser worker, once: the blocks are cached under the
component's cache folder, keyed by the reference's content, the canvas and the browser
version. Formulas: `blocks.py` and docs/metrics/design2code.md. CLIP-free pixel and
feature similarity come from other metrics named next to this one in a config (`ssim`,
`mse`, `siglip`, `dinov2`).

Two protocols (`protocol`):

- `structural` (default; fast): blocks are the DOM's text line boxes with their CSS
  colour, recorded while the page renders on the pipeline's canvas, matched one-to-one
  by text similarity (`blocks.py`);
- `design2code`: Design2Code's code step by step (`design2code_blocks.py`,
  `design2code_protocol.py`): the predicted HTML cleaned up, both pages shot at 1280 x 720
  full page, blocks from inked pixels of colour-coded text (three renders per page),
  texts lower-cased, colour the rendered pixels' mean, blocks merged by box and with
  neighbours, the neighbour bonus, and 0 for a page without text. The deviations of the
  structural protocol, measured: docs/metrics/design2code.md and docs/metrics/parity.md.

Values: `block_match`, `text`, `position`, `color` (each in [0, 1], higher is better)
and `overall`, their mean. (Design2Code's final score also adds CLIP similarity of the
text-masked screenshots: not computed here.)
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    FailurePolicy,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from .client import BrowserClient, BrowserLimits

KEYS = ("block_match", "text", "position", "color")


class Design2CodeOptions(ComponentOptions):
    """Matching threshold, failure policy and the reference render's limits."""

    min_similarity: float = Field(0.5, ge=0, le=1, description="text similarity below which "
                                  "two blocks are not a match (Design2Code uses 0.5)")
    failure_policy: FailurePolicy = Field(
        FailurePolicy.worst, description="a round that did not render: `worst` scores 0, "
        "`exclude` leaves it out (`blank` is treated as `worst`: a blank page has no text)")
    limits: BrowserLimits = Field(default_factory=BrowserLimits,
                                  description="limits of the reference page's render")
    protocol: Literal["structural", "design2code"] = Field(
        "structural", description="`structural`: DOM line boxes on the pipeline's canvas, "
        "one-to-one matching (fast); `design2code`: Design2Code's code step by step "
        "(1280 x 720 full page, inked-pixel blocks, merging, neighbour bonus; three "
        "renders per page; min_similarity is its 0.5)")


class Design2Code(Metric):
    """Scores a generated web page the way Design2Code does: are the reference's text
    blocks there (block-match), with the same text, in the same place and colour."""

    Options = Design2CodeOptions
    options: Design2CodeOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._client: BrowserClient | None = None

    def _score(self, values: dict[str, float | None], rendered: bool = True,
               **details: Any) -> Score:
        return Score(metric=self.name, values=values, rendered=rendered,
                     policy=self.options.failure_policy, details=details,
                     higher_is_better={k: True for k in values})

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        if sample.reference_program is None:
            return self._score({k: None for k in (*KEYS, "overall")},
                               error="the sample has no reference_program (reference HTML)")
        if self.options.protocol == "design2code":
            return self._score_protocol(sample.reference_program, result)
        rendering = result.rendering
        if not result.rendered or rendering is None or "text_blocks" not in rendering.metadata:
            why = "not rendered" if not result.rendered else "no text_blocks in the rendering"
            if self.options.failure_policy is FailurePolicy.exclude:
                return self._score({k: None for k in (*KEYS, "overall")}, rendered=False,
                                   reason=why)
            return self._score({k: 0.0 for k in (*KEYS, "overall")}, rendered=False, reason=why)
        width, height = rendering.width or 1, rendering.height or 1
        canvas = rendering.metadata.get("canvas", {})
        reference = self.reference_blocks(
            sample.reference_program, int(canvas.get("width", width)),
            int(canvas.get("height", height)), float(canvas.get("scale", 1.0)),
            bool(canvas.get("full_page", False)))
        if "error" in reference:
            return self._score({k: None for k in (*KEYS, "overall")},
                               error=f"reference page did not render: {reference['error']}")
        from .blocks import match_blocks, normalised  # scipy, scikit-image: on first use

        match = match_blocks(
            normalised(rendering.metadata["text_blocks"], width, height),
            normalised(reference["blocks"], reference["width"], reference["height"]),
            self.options.min_similarity)
        values: dict[str, float | None] = {"block_match": match.block_match, "text": match.text,
                                           "position": match.position, "color": match.color}
        present = [v for v in values.values() if v is not None]
        values["overall"] = sum(present) / len(present) if present else None
        return self._score(values, matches=match.pairs,
                           missing=match.unmatched_reference[:50],
                           extra=match.unmatched_prediction[:50])

    # -- protocol = "design2code" -----------------------------------------------------------

    def _render_page(self, html: str, out: Path) -> Path:
        """One 1280 x 720 full-page screenshot through the browser worker. A page that
        fails to render is a white 1280 x 960 image, as Design2Code's screenshot step."""
        from PIL import Image

        from .design2code_blocks import HEIGHT, WIDTH

        if self._client is None:
            self._client = BrowserClient(self.options.limits)
        out.parent.mkdir(parents=True, exist_ok=True)
        page = out.with_suffix(".html")
        page.write_text(html, encoding="utf-8")
        answer = self._client.run({
            "html": str(page), "out_dir": str(out.parent / f"{out.stem}-shots"),
            "width": WIDTH, "height": HEIGHT, "scale": 1.0, "full_page": True,
            "background": "#ffffff", "actions": [], "shots": "last", "dom": False,
            "collect": False, "timeout_s": self.options.limits.timeout_s})
        if answer.get("status") != "ok":
            Image.new("RGB", (1280, 960), "white").save(out)
            return out
        return Path(answer["steps"][-1]["screenshot"])

    def _protocol_reference(self, program: Path) -> list[dict[str, Any]]:
        from .design2code_blocks import page_blocks

        data = program.read_bytes()
        key = hashlib.sha256(b"design2code-protocol\0" + data).hexdigest()
        cache = self.context.cache_dir / "design2code"
        path = cache / f"{key}.json"
        if path.is_file():
            cached: list[dict[str, Any]] = json.loads(path.read_text())
            return cached
        with tempfile.TemporaryDirectory(prefix="visioncode-d2c-") as tmp:
            blocks, _ = page_blocks(data.decode("utf-8", errors="replace"),
                                    self._render_page, Path(tmp))
        cache.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.write_text(json.dumps(blocks))
        part.replace(path)
        return json.loads(path.read_text())

    def _score_protocol(self, reference: Path, result: RoundRecord) -> Score:
        from .design2code_blocks import clean_up, page_blocks
        from .design2code_protocol import score_blocks

        execution = result.execution
        if not result.rendered or execution is None:
            why = "not rendered"
            if self.options.failure_policy is FailurePolicy.exclude:
                return self._score({k: None for k in (*KEYS, "overall")}, rendered=False,
                                   reason=why)
            return self._score({k: 0.0 for k in (*KEYS, "overall")}, rendered=False, reason=why)
        source = execution.artifacts.get("html")
        html = (source.read_text(encoding="utf-8", errors="replace")
                if source is not None and source.is_file() else execution.program)
        reference_blocks = self._protocol_reference(reference)
        with tempfile.TemporaryDirectory(prefix="visioncode-d2c-") as tmp:
            blocks, _ = page_blocks(clean_up(html), self._render_page, Path(tmp))
        scores = score_blocks(blocks, reference_blocks)
        values: dict[str, float | None] = {k: float(scores[k]) for k in KEYS}
        values["overall"] = sum(v for v in values.values() if v is not None) / len(KEYS)
        details: dict[str, Any] = {"protocol": "design2code", "matches": scores["pairs"],
                                   "blocks": len(blocks), "reference_blocks":
                                   len(reference_blocks)}
        if "reason" in scores:
            details["reason"] = scores["reason"]
        return self._score(values, **details)

    def reference_blocks(self, program: Path, width: int, height: int, scale: float,
                         full_page: bool) -> dict[str, Any]:
        """The reference page's text blocks on this canvas (cached)."""
        data = program.read_bytes()
        key = hashlib.sha256(json.dumps(
            [hashlib.sha256(data).hexdigest(), width, height, scale, full_page]).encode()
        ).hexdigest()
        cache = self.context.cache_dir / "design2code"
        path = cache / f"{key}.json"
        if path.is_file():
            cached: dict[str, Any] = json.loads(path.read_text())
            return cached
        if self._client is None:
            self._client = BrowserClient(self.options.limits)
        with tempfile.TemporaryDirectory(prefix="visioncode-d2c-") as tmp:
            page = Path(tmp) / "reference.html"
            page.write_bytes(data)
            answer = self._client.run({
                "html": str(page), "out_dir": str(Path(tmp) / "out"), "width": width,
                "height": height, "scale": scale, "full_page": full_page,
                "background": "#ffffff", "actions": [], "shots": "last", "dom": False,
                "collect": True, "timeout_s": self.options.limits.timeout_s})
            if answer.get("status") != "ok":
                return {"error": f"{answer.get('status')}: {answer.get('reason')}"}
            from PIL import Image

            with Image.open(answer["steps"][-1]["screenshot"]) as im:
                w, h = im.size
        out = {"blocks": answer["steps"][-1]["text_blocks"], "width": w, "height": h,
               "browser": answer.get("version")}
        cache.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_suffix(".part")
        tmp_path.write_text(json.dumps(out))
        tmp_path.replace(path)
        return out

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
