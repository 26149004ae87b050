import matplotlib.pyplot as plt
import numpy as np

theta = np.linspace(0, 2 * np.pi, 9)
r = [3, 5, 4, 6, 2, 4, 5, 3, 3]
fig = plt.figure(figsize=(5, 5))
ax = fig.add_subplot(projection="polar")
ax.plot(theta, r, color="#ff7f00")
ax.set_title("Wind directions")
plt.savefig("polar-wind.pdf")
