import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(0)
h = rng.normal(170, 8, 60)
w = 0.9 * h - 90 + rng.normal(0, 5, 60)
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(h, w, color="#9467bd", alpha=0.8)
ax.set_title("Height and weight")
ax.set_xlabel("Height (cm)")
ax.set_ylabel("Weight (kg)")
plt.tight_layout()
plt.savefig("scatter-height.pdf")
