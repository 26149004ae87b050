import matplotlib.pyplot as plt
import numpy as np

labels = ["North", "South", "East", "West"]
x = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(x - 0.2, [20, 34, 30, 35], 0.4, label="2023", color="#1f77b4")
ax.bar(x + 0.2, [25, 32, 34, 20], 0.4, label="2024", color="#ff7f0e")
ax.set_xticks(x, labels)
ax.set_ylabel("Revenue (k$)")
ax.set_title("Revenue by region")
ax.legend()
plt.tight_layout()
plt.savefig("grouped-bar.pdf")
