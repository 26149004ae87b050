import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(4)
data = [rng.normal(0, s, 100) for s in (1, 2, 3)]
fig, ax = plt.subplots(figsize=(6, 4))
parts = ax.violinplot(data, showmeans=True)
for body in parts["bodies"]:
    body.set_facecolor("#fdae61")
ax.set_title("Effect by dose")
plt.tight_layout()
plt.savefig("violin-doses.pdf")
