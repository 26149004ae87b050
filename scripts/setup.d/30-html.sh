# visioncode-html: the system Chromium (Debian's `chromium`, never a browser downloaded by
# Playwright), a small fixed font set for reproducible screenshots, and the plugin itself
# with Playwright's Python package. Sourced by scripts/setup with apt_install and PIP.
apt_install chromium fonts-dejavu-core fonts-liberation fonts-noto-core
"${PIP[@]}" -e plugins/html
