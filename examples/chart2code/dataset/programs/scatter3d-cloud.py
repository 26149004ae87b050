import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(6)
xs, ys, zs = rng.rand(3, 40)
fig = plt.figure(figsize=(5, 5))
ax = fig.add_subplot(projection="3d")
ax.scatter(xs, ys, zs, color="#e41a1c")
ax.set_title("Point cloud")
plt.savefig("scatter3d-cloud.pdf")
