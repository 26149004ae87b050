import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(3)
data = [rng.normal(m, 1.0, 50) for m in (2, 3, 4)]
fig, ax = plt.subplots(figsize=(6, 4))
parts = ax.boxplot(data, patch_artist=True)
for box, colour in zip(parts["boxes"], ["#e41a1c", "#377eb8", "#4daf4a"]):
    box.set_facecolor(colour)
ax.set_xticks([1, 2, 3], ["A", "B", "C"])
ax.set_title("Response time by group")
plt.tight_layout()
plt.savefig("boxplot-groups.pdf")
