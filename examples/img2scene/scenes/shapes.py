# ruff: noqa: F821 (a fragment that follows scenes/common.py, which defines bpy, material, place)
# A yellow sphere left of a purple cone, with an orange cylinder behind them.
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.9, location=(-1.5, 0.5, 0.9))
place(bpy.context.object, material("Yellow", (0.9, 0.75, 0.1))).name = "Sphere"
bpy.ops.mesh.primitive_cone_add(radius1=0.9, depth=2.0, location=(1.2, -0.8, 1.0))
place(bpy.context.object, material("Purple", (0.5, 0.15, 0.7))).name = "Cone"
bpy.ops.mesh.primitive_cylinder_add(radius=0.6, depth=2.4, location=(0.5, 2.2, 1.2))
place(bpy.context.object, material("Orange", (0.9, 0.4, 0.05))).name = "Cylinder"
