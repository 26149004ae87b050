"""Fixtures for the visioncode-html tests: the real system Chromium through the plugin's
sandboxed browser worker, no mocks. The executor, the renderers and the client share one
browser worker for the session (as components of one pipeline do)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode_html.client import BrowserClient, BrowserLimits
from visioncode_html.executor import HtmlExecutor
from visioncode_html.renderers import ChromiumRenderer, ChromiumSvgRenderer

ROOT = Path(__file__).resolve().parents[2]
GUI = ROOT / "examples" / "gui-next-state"
S2H = ROOT / "examples" / "screenshot2html"


@pytest.fixture(scope="session")
def client() -> Iterator[BrowserClient]:
    c = BrowserClient(BrowserLimits(timeout_s=30))
    yield c
    c.close()


@pytest.fixture(scope="session")
def executor() -> Iterator[HtmlExecutor]:
    ex = HtmlExecutor(HtmlExecutor.Options(width=480, height=360))
    yield ex
    ex.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[ChromiumRenderer]:
    r = ChromiumRenderer()
    yield r
    r.close()


@pytest.fixture(scope="session")
def chromium_svg() -> Iterator[ChromiumSvgRenderer]:
    r = ChromiumSvgRenderer()
    yield r
    r.close()


def page_job(client: BrowserClient, html: str, folder: Path, **request: object) -> dict:
    """Write `html` to folder/page.html and run one job on it (480 x 360 by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "page.html"
    page.write_text(html, encoding="utf-8")
    job = {"html": str(page), "out_dir": str(folder / "out"), "width": 480, "height": 360,
           "scale": 1.0, "background": "#ffffff", "actions": [], "shots": "last",
           "dom": True, "collect": True, "timeout_s": 30, **request}
    return client.run(job)


def gui_samples() -> list[dict]:
    return [json.loads(line) for line in (GUI / "dataset" / "samples.jsonl").open()]
