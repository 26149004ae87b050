import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0, 2 * np.pi, 50)
fig, axs = plt.subplots(2, 2, figsize=(7, 6))
axs[0, 0].plot(x, np.sin(x), color="#1b9e77")
axs[0, 0].set_title("sin")
axs[0, 1].plot(x, np.cos(x), color="#d95f02")
axs[0, 1].set_title("cos")
axs[1, 0].bar(["a", "b", "c"], [3, 5, 2], color="#7570b3")
axs[1, 0].set_title("counts")
axs[1, 1].scatter([1, 2, 3, 4], [4, 1, 3, 2], color="#e7298a")
axs[1, 1].set_title("points")
fig.suptitle("Four panels")
plt.tight_layout()
plt.savefig("subplots-2x2.pdf")
