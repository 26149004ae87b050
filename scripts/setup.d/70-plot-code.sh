# visioncode-plot (matplotlib chart programs, ChartMimic / Plot2Code scoring) and
# visioncode-code (code rendered as an image with Pygments, OCR and code-understanding
# metrics). Fonts: matplotlib bundles DejaVu; the code image uses DejaVu Sans Mono from
# fonts-dejavu-core. Sourced by scripts/setup with apt_install and PIP.
apt_install fonts-dejavu-core
"${PIP[@]}" -e plugins/plot
if [ -d plugins/code ]; then "${PIP[@]}" -e plugins/code; fi
