import matplotlib.pyplot as plt
import numpy as np

hours = np.arange(24)
visits = 50 + 40 * np.sin((hours - 6) / 24 * 2 * np.pi)
fig, ax = plt.subplots(figsize=(6, 4))
ax.fill_between(hours, visits, color="#a6cee3", alpha=0.7)
ax.plot(hours, visits, color="#1f78b4")
ax.set_title("Visits per hour")
ax.set_xlabel("Hour")
plt.tight_layout()
plt.savefig("area-traffic.pdf")
