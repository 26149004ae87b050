import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(1)
x, y = rng.rand(2, 80)
fig, ax = plt.subplots(figsize=(5, 4))
points = ax.scatter(x, y, c=x + y, cmap="viridis")
fig.colorbar(points, ax=ax, label="x + y")
ax.set_title("Random points")
plt.tight_layout()
plt.savefig("scatter-cmap.pdf")
