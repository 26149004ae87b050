# ruff: noqa: F821 (a fragment that follows scenes/common.py, which defines bpy, material, place)
# A grey tower of two cylinders with a red cube beside it.
bpy.ops.mesh.primitive_cylinder_add(radius=0.8, depth=1.6, location=(0, 0, 0.8))
place(bpy.context.object, material("Stone", (0.45, 0.45, 0.45))).name = "Tower.Base"
bpy.ops.mesh.primitive_cylinder_add(radius=0.5, depth=1.2, location=(0, 0, 2.2))
place(bpy.context.object, material("Stone.Light", (0.65, 0.65, 0.65))).name = "Tower.Top"
bpy.ops.mesh.primitive_cube_add(size=0.8, location=(1.8, -0.6, 0.4))
place(bpy.context.object, material("Red", (0.8, 0.1, 0.1))).name = "Crate"
