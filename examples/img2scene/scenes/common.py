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
