"""How the system Chromium is found and launched, and the fixed font set it sees.

Playwright's own browser downloads are never used: the browser is Debian's `chromium`
package. The launch flags turn off everything that talks to the network on its own
(component updates, sync, background networking, QUIC), send any request that escapes
interception to a proxy that does not exist (loopback included, which Chromium otherwise
never proxies), make host names unresolvable, and fix the rendering variables that make
screenshots differ between runs (GPU, LCD text, font hinting, smooth scrolling).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Where Debian's `chromium` package puts the real binary (`/usr/bin/chromium` is a
#: shell wrapper that adds flags of its own).
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Overrides the binary (any Chromium build Playwright can drive).
EXECUTABLE_ENV = "VISIONCODE_CHROMIUM"

#: The host every page is served from (through request interception, never a socket).
PAGE_ORIGIN = "http://page.visioncode.invalid"
PAGE_URL = f"{PAGE_ORIGIN}/"

#: Fonts installed by scripts/setup.d/30-html.sh; the only ones the browser may use.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/noto",
)
#: Generic family -> the one font it resolves to, whatever else is installed.
FONT_ALIASES = {
    "sans-serif": "Liberation Sans",
    "serif": "Liberation Serif",
    "monospace": "Liberation Mono",
    "system-ui": "Liberation Sans",
    # Chromium's default standard font, and the usual web fonts, to their metric twins
    "Times New Roman": "Liberation Serif",
    "Times": "Liberation Serif",
    "Arial": "Liberation Sans",
    "Helvetica": "Liberation Sans",
    "Courier New": "Liberation Mono",
    "Courier": "Liberation Mono",
}


#: A request naming no generic family (Chromium's form controls ask for the system
#: font) gets sans-serif, as fontconfig's own 49-sansserif.conf would do.
DEFAULT_FAMILY = (
    '  <match target="pattern">'
    + "".join(f'<test qual="all" name="family" compare="not_eq"><string>{g}</string></test>'
              for g in ("sans-serif", "serif", "monospace"))
    + '<edit name="family" mode="append_last"><string>sans-serif</string></edit></match>\n'
)


class ChromiumNotFound(RuntimeError):
    """No Chromium binary: install Debian's `chromium` (scripts/setup.d/30-html.sh)."""


def executable() -> str:
    given = os.environ.get(EXECUTABLE_ENV)
    if given:
        if not Path(given).is_file():
            raise ChromiumNotFound(f"{EXECUTABLE_ENV}={given} is not a file")
        return given
    for candidate in CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise ChromiumNotFound(
        "no Chromium found (looked for " + ", ".join(CANDIDATES) + "); install Debian's "
        "`chromium` package (bash scripts/setup does) or set " + EXECUTABLE_ENV
    )


def launch_args(v8_heap_mb: int | None = 512) -> list[str]:
    """Command-line flags for every browser the plugin starts."""
    args = [
        "--no-sandbox",  # the worker's own sandbox (session, namespace, rlimits) applies
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider",
        "--no-default-browser-check",
        "--mute-audio",
        # Anything that gets past request interception goes to a proxy that is not there,
        # loopback included (`<-loopback>` removes Chromium's implicit localhost bypass)...
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        # ...and no host name resolves (literal IPs are not covered: the proxy and the
        # WebSocket route are).
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        # Reproducible pixels.
        "--font-render-hinting=none",
        "--disable-lcd-text",
        "--disable-font-subpixel-positioning",
        "--disable-smooth-scrolling",
        "--force-color-profile=srgb",
        "--hide-scrollbars",
    ]
    if v8_heap_mb:
        # A page that grows its JavaScript heap past this crashes its renderer (the sample
        # fails as `memory`) long before the machine notices.
        args.append(f"--js-flags=--max-old-space-size={v8_heap_mb}")
    return args


def write_fontconfig(folder: Path) -> Path:
    """A fonts.conf that shows the browser only FONT_DIRS and maps each generic family to
    one fixed font, so a page renders with the same glyphs on every machine that ran the
    setup script. Returned path goes in FONTCONFIG_FILE."""
    folder.mkdir(parents=True, exist_ok=True)
    dirs = "".join(f"  <dir>{d}</dir>\n" for d in FONT_DIRS if Path(d).is_dir())
    aliases = "".join(
        f"  <alias binding=\"strong\"><family>{generic}</family>"
        f"<prefer><family>{font}</family></prefer></alias>\n"
        for generic, font in FONT_ALIASES.items()
    )
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"{dirs}  <cachedir>{folder / 'cache'}</cachedir>\n{aliases}{DEFAULT_FAMILY}"
        "  <match target=\"font\"><edit name=\"antialias\" mode=\"assign\"><bool>true</bool>"
        "</edit><edit name=\"hinting\" mode=\"assign\"><bool>false</bool></edit>"
        "<edit name=\"rgba\" mode=\"assign\"><const>none</const></edit></match>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return conf
