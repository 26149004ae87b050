import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(5)
m = np.corrcoef(rng.rand(5, 30))
fig, ax = plt.subplots(figsize=(5, 4))
image = ax.imshow(m, cmap="coolwarm", vmin=-1, vmax=1)
fig.colorbar(image, ax=ax)
ax.set_title("Correlation")
plt.tight_layout()
plt.savefig("heatmap-corr.pdf")
