import matplotlib.pyplot as plt
import numpy as np

x, y = np.meshgrid(np.arange(0, 2, 0.25), np.arange(0, 2, 0.25))
fig, ax = plt.subplots(figsize=(5, 5))
ax.quiver(x, y, -y + 1, x - 1, color="#08519c")
ax.set_title("Rotation field")
plt.savefig("quiver-field.pdf")
