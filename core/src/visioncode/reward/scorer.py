"""Worker side: one completion -> extract -> execute -> render -> gates -> metrics -> terms.

A `Scorer` holds one `Pipeline` (the config's executor, renderer and metrics, built once,
their warm workers started once) and calls it through the plugin manager's hooks, so the
sandbox, tracing and every other hook wrapper apply as in a run. It never raises for a
completion's own problems: every outcome is a `RewardResult`.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageColor

from ..config import LoadedConfig
from ..messages import Completion
from ..pipeline import Pipeline
from ..records import RoundRecord
from ..samples import Sample, load_manifest
from ..sandbox import writable_folders
from .result import RewardItem, RewardResult
from .spec import ContentGate, FormatGate, RewardSpec, ViewBoxGate

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: Read at most this much of a program for the gates (the executor caps size anyway).
_GATE_READ_LIMIT = 4_000_000


def length_reward(predicted: int, reference: int) -> float:
    """RLRF's length term (arXiv:2505.20793, eq. for R_len):
    `1 - ((1/L_gt) * max(0, L_pred - L_gt/2))^2`. Free up to half the reference's
    length, then a quadratic penalty that reaches 0 at 1.5 x L_gt and keeps falling."""
    if reference <= 0:
        raise ValueError("the reference program is empty: the length term is undefined")
    excess = max(0.0, predicted - reference / 2) / reference
    return 1.0 - excess * excess


def program_length(program: str, unit: str) -> int:
    return len(program.encode("utf-8")) if unit == "bytes" else len(program)


def _root(program: str) -> ET.Element | None:
    """The program's XML root, or None when it is not XML. Documents that declare a DTD
    or entities are not parsed here (the SVG executor refuses those before this runs)."""
    if "<!DOCTYPE" in program or "<!ENTITY" in program or len(program) > _GATE_READ_LIMIT:
        return None
    try:
        return ET.fromstring(program)
    except ET.ParseError:
        return None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def banned_elements(program: str, ban: list[str]) -> list[str]:
    """Banned element names the program uses (XML local names; a program that is not XML
    is searched for `<name` instead, so a broken document cannot hide a `<text>`)."""
    wanted = set(ban)
    root = _root(program)
    if root is not None:
        found = {_local(el.tag) for el in root.iter()} & wanted
    else:
        found = {name for name in wanted
                 if re.search(rf"<\s*(?:[\w.-]+:)?{re.escape(name)}[\s/>]", program)}
    return sorted(found)


def view_box(program: str) -> tuple[float, float, float, float] | None:
    """The root element's viewBox (or 0 0 width height), None when it has neither."""
    root = _root(program)
    if root is None:
        return None
    raw = root.get("viewBox")
    if raw is not None:
        nums = [float(x) for x in _NUMBER.findall(raw)]
        if len(nums) == 4:
            return nums[0], nums[1], nums[2], nums[3]
        return (0.0, 0.0, 0.0, 0.0)  # present but unreadable: as bad as degenerate
    width, height = root.get("width"), root.get("height")
    if width and height:
        w, h = _NUMBER.match(width.strip()), _NUMBER.match(height.strip())
        if w and h:
            return 0.0, 0.0, float(w.group()), float(h.group())
    return None


def content_fraction(image: Path, background: str | None, tolerance: int) -> float:
    """Share of pixels that differ from the background by more than `tolerance` in some
    channel (with a transparent background: whose alpha exceeds it)."""
    with Image.open(image) as im:
        rgba = im.convert("RGBA")
    total = rgba.width * rgba.height
    if total == 0:
        return 0.0
    if background is None:
        channel = rgba.getchannel("A")
    else:
        colour = ImageColor.getrgb(background)[:3]
        base = Image.new("RGBA", rgba.size, (*colour, 255))
        flat = Image.alpha_composite(base, rgba).convert("RGB")
        diff = ImageChops.difference(flat, base.convert("RGB"))
        r, g, b = diff.split()
        channel = ImageChops.lighter(ImageChops.lighter(r, g), b)
    hist = channel.histogram()
    return sum(hist[tolerance + 1:]) / total


class Scorer:
    """Scores completions for the samples of one config, in one process."""

    def __init__(self, loaded: LoadedConfig, spec: RewardSpec | None = None) -> None:
        self.loaded = loaded
        spec = spec or loaded.config.reward
        if spec is None:
            raise ValueError("the config has no [reward] table")
        self.spec = spec
        self.samples: dict[str, Sample] = {
            s.id: s for s in load_manifest(loaded.config.dataset.path)}
        self._tmp = Path(tempfile.mkdtemp(prefix="visioncode-reward-"))
        # Sandboxed renderers and executors write each completion's files there.
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(writable_folders(self._tmp))
        self.pipeline = Pipeline(loaded)
        self._reference_text = cache(self._read_reference)
        self._reference_content = cache(self._content_of_reference)

    def warm_up(self) -> RewardResult | None:
        """Score the first sample's reference program once, so that imports, model loads
        (a feature metric's weights) and the renderer's warm worker are done before the
        first real completion, whose time limit must measure that completion alone."""
        for sample in self.samples.values():
            if sample.reference_program is not None:
                return self.score(RewardItem(sample_id=sample.id,
                                             completion=self._reference_text(sample.id)))
        return None

    def close(self) -> None:
        self.pipeline.close()
        self._stack.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    # -- one completion -----------------------------------------------------------------

    def score(self, item: RewardItem) -> RewardResult:
        start = time.perf_counter()
        sample = self.samples.get(item.sample_id)
        if sample is None:
            return self._result(item, "error", f"unknown sample id {item.sample_id!r}", start)
        workdir = self._tmp / "item"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        stage = "extract"
        try:
            rec = RoundRecord(round=0, completion=Completion(text=item.completion))
            rec.extraction = self.pipeline.extract(item.completion)
            program = rec.extraction.program
            if not rec.extraction.ok or program is None:
                reason = "; ".join(rec.extraction.notes) or "no program in the completion"
                return self._result(item, rec.extraction.status, reason, start)
            stage = "execute"
            rec.execution = self.pipeline.execute(program, workdir, sample)
            if not rec.execution.ok:
                err = rec.execution.error
                return self._result(item, rec.execution.status,
                                    err.describe() if err else rec.execution.status, start)
            stage = "render"
            rec.rendering = self.pipeline.render(rec.execution, workdir)
            if not rec.rendering.ok:
                status = "timeout" if rec.rendering.status == "timeout" else "render_error"
                return self._result(item, status,
                                    rec.rendering.error or rec.rendering.status, start)
            stage = "gates"
            for gate in self.spec.gates:
                why = self._gate(gate, sample, rec)
                if why is not None:
                    reward = self.spec.failure if gate.reward is None else gate.reward
                    return self._result(item, "gated", why, start, reward=reward,
                                        gate=gate.gate)
            stage = "score"
            scores = self.pipeline.score(sample, rec) if self._needs_metrics else {}
            return self._terms(item, sample, program, scores, start)
        except Exception as exc:  # a crashing component costs this completion only
            tb = traceback.format_exc(limit=5).strip().splitlines()
            return self._result(item, "error", f"{stage}: {type(exc).__name__}: {exc} "
                                f"({tb[-3].strip() if len(tb) >= 3 else ''})", start)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    @property
    def _needs_metrics(self) -> bool:
        return any(t.kind == "metric" for t in self.spec.terms)

    def _terms(self, item: RewardItem, sample: Sample, program: str,
               scores: dict[str, Any], start: float) -> RewardResult:
        terms: dict[str, float | None] = {}
        reward = 0.0
        for term in self.spec.terms:
            if term.kind == "length":
                reference = self._reference_text(sample.id)
                value = length_reward(program_length(program, term.unit),
                                      program_length(reference, term.unit))
            else:
                assert term.metric is not None
                score = scores.get(term.metric)
                found = None if score is None else score.values.get(term.key)
                if found is None:
                    why = (f"metric {term.metric!r} gave no value {term.key!r}"
                           + (f": {score.details.get('reason')}" if score is not None
                              and score.details.get("reason") else ""))
                    return self._result(item, "undefined", why, start, terms=terms)
                value = float(found)
            if term.clip is not None:
                value = min(max(value, term.clip[0]), term.clip[1])
            terms[term.label] = value
            reward += term.weight * value
        return self._result(item, "ok", None, start, reward=reward, terms=terms)

    def _result(self, item: RewardItem, status: str, reason: str | None, start: float, *,
                reward: float | None = None, terms: dict[str, float | None] | None = None,
                gate: str | None = None) -> RewardResult:
        all_terms: dict[str, float | None] = {t.label: None for t in self.spec.terms}
        all_terms.update(terms or {})
        return RewardResult(
            sample_id=item.sample_id, status=status, reason=reason, gate=gate,
            reward=self.spec.failure if reward is None else reward,
            terms=all_terms if status == "ok" else dict.fromkeys(all_terms),
            duration_s=round(time.perf_counter() - start, 6))

    # -- gates --------------------------------------------------------------------------

    def _gate(self, gate: Any, sample: Sample, rec: RoundRecord) -> str | None:
        """Why `gate` refuses this round, or None when it passes."""
        assert rec.execution is not None and rec.rendering is not None
        program = rec.execution.program
        if isinstance(gate, FormatGate):
            found = banned_elements(program, gate.ban)
            if found:
                return (f"format gate: the program uses {', '.join(f'<{n}>' for n in found)}"
                        f" (banned: {', '.join(gate.ban)}); draw shapes instead of writing "
                        "text")
            return None
        if isinstance(gate, ViewBoxGate):
            return self._view_box_gate(gate, sample, rec)
        if isinstance(gate, ContentGate):
            image = rec.rendering.image
            if image is None:
                return "min-content gate: the rendering has no still image"
            background = self.loaded.config.render.background
            got = content_fraction(image, background, gate.tolerance)
            need = gate.min_fraction
            ref = self._reference_content(sample.id, gate.tolerance)
            if ref is not None:
                need = min(need, ref / 2)
            if got < need:
                return (f"min-content gate: {got:.2%} of the pixels differ from the "
                        f"background, below the {need:.2%} required (a blank or "
                        "near-blank render)")
            return None
        raise TypeError(f"unknown gate {gate!r}")

    def _view_box_gate(self, gate: ViewBoxGate, sample: Sample,
                       rec: RoundRecord) -> str | None:
        assert rec.execution is not None and rec.rendering is not None
        box = view_box(rec.execution.program)
        if box is None:
            return None  # nothing to judge: the renderer chose the canvas
        _, _, w, h = box
        if not (w >= gate.min_side and h >= gate.min_side):
            return (f"viewbox gate: viewBox {w:g} x {h:g} has a side below "
                    f"{gate.min_side:g} user units")
        if w > gate.max_side or h > gate.max_side:
            return (f"viewbox gate: viewBox {w:g} x {h:g} has a side above "
                    f"{gate.max_side:g} user units")
        aspect = max(w / h, h / w)
        if aspect > gate.max_aspect:
            return (f"viewbox gate: viewBox {w:g} x {h:g} has aspect ratio {aspect:.3g}, "
                    f"above {gate.max_aspect:g}")
        if gate.max_scale is not None and sample.reference_program is not None:
            ref = view_box(self._reference_text(sample.id))
            if ref is not None and ref[2] > 0 and ref[3] > 0:
                for side, mine, theirs in (("width", w, ref[2]), ("height", h, ref[3])):
                    ratio = max(mine / theirs, theirs / mine)
                    if ratio > gate.max_scale:
                        return (f"viewbox gate: viewBox {side} {mine:g} is {ratio:.3g}x "
                                f"the reference's {theirs:g} (at most {gate.max_scale:g}x)")
        return None

    # -- per-sample references, read once ---------------------------------------------

    def _read_reference(self, sample_id: str) -> str:
        sample = self.samples[sample_id]
        if sample.reference_program is None:
            raise ValueError(f"sample {sample_id!r} has no reference_program")
        return sample.reference_program.read_text(encoding="utf-8")

    def _content_of_reference(self, sample_id: str, tolerance: int) -> float | None:
        target = self.samples[sample_id].target_image
        if target is None:
            return None
        return content_fraction(target, self.loaded.config.render.background, tolerance)
