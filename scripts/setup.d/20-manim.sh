# visioncode-manim: Manim Community Edition builds pycairo and ManimPango against the
# system Cairo and Pango (hence the -dev packages and pkg-config); LaTeX and dvisvgm make
# `MathTex`/`Tex` work (`Text` needs neither). PyAV, a Manim dependency, encodes and
# decodes video, so no ffmpeg binary is needed. Sourced by scripts/setup with apt_install
# and PIP.
apt_install libcairo2-dev libpango1.0-dev pkg-config \
  texlive-latex-base texlive-latex-extra dvisvgm fonts-dejavu-core
"${PIP[@]}" -e plugins/manim
