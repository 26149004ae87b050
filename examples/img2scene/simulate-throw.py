# "What happens next": every object on the ground becomes a rigid body (the ground a
# passive one) and a heavy ball is thrown at the scene from the left.
import bpy

scene = bpy.context.scene
for obj in list(scene.objects):
    if obj.type != "MESH":
        continue
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.rigidbody.object_add(type="PASSIVE" if obj.name == "Ground" else "ACTIVE")
    obj.select_set(False)
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.45, location=(-4.5, 0.0, 1.2))
ball = bpy.context.object
ball.name = "Ball"
bpy.ops.rigidbody.object_add(type="ACTIVE")
ball.rigid_body.mass = 4.0
# An initial velocity: animate the ball kinematically over the first frames, then let go.
ball.rigid_body.kinematic = True
ball.keyframe_insert("location", frame=1)
ball.location.x = -4.1
ball.keyframe_insert("location", frame=3)
ball.rigid_body.keyframe_insert("kinematic", frame=3)
ball.rigid_body.kinematic = False
ball.rigid_body.keyframe_insert("kinematic", frame=4)
