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

# Warm the compiled-shader cache the tests (and, by option, pipelines) share: EEVEE
# compiles hundreds of GLSL shaders with llvmpipe on first use, minutes on a small
# machine, paid here once instead of in the first EEVEE render.
SHADERS=.venv-blender/shader-cache
if [ ! -e "$SHADERS/.warm" ]; then
  mkdir -p "$SHADERS"
  MESA_SHADER_CACHE_DIR="$SHADERS/mesa" XDG_CACHE_HOME="$SHADERS/xdg" \
    .venv-blender/bin/python - <<'PY' >/dev/null 2>&1 && touch "$SHADERS/.warm" || true
import bpy
bpy.ops.wm.read_factory_settings(use_empty=False)
scene = bpy.context.scene
scene.render.resolution_x, scene.render.resolution_y = 32, 24
scene.render.film_transparent = True
scene.render.filepath = "/dev/null"
for engine in ("BLENDER_WORKBENCH", "BLENDER_EEVEE"):
    scene.render.engine = engine
    scene.eevee.taa_render_samples = 1
    bpy.ops.render.render(write_still=False)
PY
fi
