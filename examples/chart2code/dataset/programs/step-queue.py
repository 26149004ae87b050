import matplotlib.pyplot as plt
import numpy as np

t = np.arange(10)
q = [0, 2, 3, 3, 5, 4, 6, 2, 1, 0]
fig, ax = plt.subplots(figsize=(6, 4))
ax.step(t, q, where="post", color="#636363")
ax.axhline(3, color="#e6550d", linestyle=":")
ax.set_title("Queue length")
plt.tight_layout()
plt.savefig("step-queue.pdf")
