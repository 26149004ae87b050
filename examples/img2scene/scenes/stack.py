# ruff: noqa: F821 (a fragment that follows scenes/common.py, which defines bpy, material, place)
# Three boxes stacked off-centre: red at the bottom, green, then a small blue one.
red = material("Red", (0.8, 0.1, 0.1))
green = material("Green", (0.1, 0.6, 0.2))
blue = material("Blue", (0.1, 0.2, 0.8))
for name, size, z, x, mat in (("Box.Red", 1.4, 0.7, 0.0, red),
                              ("Box.Green", 1.0, 1.9, 0.1, green),
                              ("Box.Blue", 0.6, 2.7, 0.15, blue)):
    bpy.ops.mesh.primitive_cube_add(size=size, location=(x, 0, z))
    place(bpy.context.object, mat).name = name
