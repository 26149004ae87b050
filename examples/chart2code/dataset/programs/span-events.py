import matplotlib.pyplot as plt
import numpy as np

t = np.linspace(0, 10, 200)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(t, np.sin(t), color="#3182bd")
ax.axvspan(2, 4, color="#fdd0a2", alpha=0.5)
ax.axvline(7, color="#31a354")
ax.set_title("Signal with events")
plt.tight_layout()
plt.savefig("span-events.pdf")
