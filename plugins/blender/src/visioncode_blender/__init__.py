"""visioncode-blender: model-written bpy programs run in a persistent, sandboxed bpy worker
(its own interpreter environment, or a user's Blender), rendered with Cycles, Workbench or
EEVEE, labelled with object ids for a critic, and rolled out with rigid-body physics.

Nothing here imports bpy: bpy lives in `.venv-blender` and is reached through the worker
protocol (docs/blender.md)."""
