"""The `manim-sections` metric: render success per section of a Manim video.

A text2video program has one Scene class per section; the renderer renders each and
records its outcome (`metadata["sections"]`). This metric counts them, so a run reports
how many sections rendered as well as whether the whole video did, and on a failure it
hands the exception, the program line and the trimmed traceback of every failed section
to the coder as `details["feedback"]` (the repair loop's input with
`loop.critic_mode = "feedback"`).
"""

from __future__ import annotations

from typing import Any

from visioncode import ComponentOptions, Metric, RoundRecord, Sample, Score


class SectionsOptions(ComponentOptions):
    """No options."""


class SectionsMetric(Metric):
    """Sections rendered, sections in the program, and their ratio; failures explained
    in `details["feedback"]`."""

    Options = SectionsOptions

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        higher = {"section_success": True, "sections_ok": True, "sections_total": True}
        rendering, execution = result.rendering, result.execution
        sections: list[dict[str, Any]] = []
        if rendering is not None and isinstance(rendering.metadata.get("sections"), list):
            sections = rendering.metadata["sections"]
        total = len(sections)
        if not total and execution is not None:
            total = len(execution.metadata.get("scenes") or [])
        ok = sum(1 for s in sections if s.get("status") == "ok")
        feedback = ""
        if result.rendering is None or not result.rendering.ok:
            problems = [f"The program did not render ({result.status})."]
            failed = [s for s in sections if s.get("status") != "ok"]
            for s in failed:
                err = s.get("error") or {}
                where = f" at line {err['line']}" if err.get("line") else ""
                problems.append(f"Scene {s.get('scene')} failed{where}: "
                                f"{err.get('kind', 'Error')}: {err.get('message', '')}")
                if err.get("traceback"):
                    problems.append(err["traceback"])
            if not failed and result.reason:
                problems.append(result.reason)
            problems.append("Fix the error and keep every scene that worked unchanged.")
            feedback = "\n".join(problems)
        return Score(
            metric=self.name,
            values={"section_success": ok / total if total else 0.0,
                    "sections_ok": float(ok), "sections_total": float(total)},
            rendered=result.rendered, higher_is_better=higher,
            details={"feedback": feedback,
                     "sections": [{"scene": s.get("scene"), "status": s.get("status")}
                                  for s in sections]})
