import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(-2, 2, 60)
X, Y = np.meshgrid(x, x)
Z = np.exp(-(X ** 2 + Y ** 2))
fig, ax = plt.subplots(figsize=(5, 4))
ax.contourf(X, Y, Z, levels=10, cmap="magma")
ax.set_title("A hill")
plt.tight_layout()
plt.savefig("contour-hill.pdf")
