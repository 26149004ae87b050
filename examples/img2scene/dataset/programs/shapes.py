# Shared opening of every reference scene (prepended by make_dataset.py): a ground plane,
# a sun and a fill light, and a camera looking at the origin. Kept in the program text so
# the scene a model writes and the reference are built the same way.
import bpy


def material(name, rgb, roughness=0.5):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    return mat


def place(obj, mat):
    obj.data.materials.append(mat)
    return obj


bpy.ops.mesh.primitive_plane_add(size=12, location=(0, 0, 0))
place(bpy.context.object, material("Ground", (0.8, 0.8, 0.78), 0.9)).name = "Ground"
bpy.ops.object.light_add(type="SUN", location=(4, -4, 8))
bpy.context.object.data.energy = 3.0
bpy.context.object.rotation_euler = (0.6, 0.2, 0.8)
bpy.ops.object.camera_add(location=(7.5, -7.5, 5.5))
camera = bpy.context.object
camera.rotation_euler = (1.2, 0.0, 0.785)
bpy.context.scene.camera = camera
world = bpy.data.worlds.new("Sky")
world.color = (0.35, 0.4, 0.5)
bpy.context.scene.world = world

# A yellow sphere left of a purple cone, with an orange cylinder behind them.
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.9, location=(-1.5, 0.5, 0.9))
place(bpy.context.object, material("Yellow", (0.9, 0.75, 0.1))).name = "Sphere"
bpy.ops.mesh.primitive_cone_add(radius1=0.9, depth=2.0, location=(1.2, -0.8, 1.0))
place(bpy.context.object, material("Purple", (0.5, 0.15, 0.7))).name = "Cone"
bpy.ops.mesh.primitive_cylinder_add(radius=0.6, depth=2.4, location=(0.5, 2.2, 1.2))
place(bpy.context.object, material("Orange", (0.9, 0.4, 0.05))).name = "Cylinder"
