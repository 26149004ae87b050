# Scale and reports: Ray for `run.backend = "ray"` (the `ray` extra of visioncode), and
# the system Chromium with Playwright's Python package, which the HTML report's test and
# its screenshot use (never a browser downloaded by Playwright). Pygments (syntax
# highlighting in reports) is a core dependency. Sourced by scripts/setup with
# apt_install and PIP; idempotent.
apt_install chromium fonts-dejavu-core fonts-liberation
"${PIP[@]}" -e "core[ray]" playwright
