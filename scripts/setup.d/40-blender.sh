# visioncode-blender: bpy in its own interpreter environment, and the plugin in .venv.
#
# bpy (PyPI bpy==5.0.1) needs Python 3.11 and pins numpy<2, so it cannot live in .venv
# (Manim needs numpy 2): it gets .venv-blender, where the plugin's bpy worker runs.
# Sourced by scripts/setup (cwd = repository root, set -euo pipefail, apt_install and PIP
# defined). Idempotent: an existing .venv-blender with a working bpy is kept.

# Shared libraries Blender loads at run time for Workbench and EEVEE on Mesa llvmpipe
# (EGL, the software GL driver, X11 client libraries its GPU backend links against).
apt_install libegl1 libgl1 libgl1-mesa-dri libx11-6 libxkbcommon0 libsm6 libxi6 \
  libxfixes3 libxrender1

BLENDER_PY="${VISIONCODE_BLENDER_BASE_PYTHON:-python3.11}"
if ! command -v "$BLENDER_PY" >/dev/null 2>&1; then
  BLENDER_PY=python3
fi
if ! "$BLENDER_PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup.d/40-blender: bpy 5.0.1 needs Python 3.11; $BLENDER_PY is $("$BLENDER_PY" -V)." \
       "Set VISIONCODE_BLENDER_BASE_PYTHON to a Python 3.11." >&2
  exit 1
fi
if ! .venv-blender/bin/python -c 'import bpy' >/dev/null 2>&1; then
  "$BLENDER_PY" -m venv .venv-blender
  .venv-blender/bin/python -m pip install -q --upgrade pip
  .venv-blender/bin/python -m pip install -q "bpy==5.0.1"
fi
.venv-blender/bin/python -c 'import bpy; print("setup.d/40-blender: bpy", bpy.app.version_string)'

"${PIP[@]}" -e plugins/blender
