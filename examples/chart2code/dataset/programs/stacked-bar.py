import matplotlib.pyplot as plt
import numpy as np

days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
a = np.array([3, 4, 2, 5, 4])
b = np.array([2, 1, 3, 2, 3])
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(days, a, color="#2ca02c", label="Meetings")
ax.bar(days, b, bottom=a, color="#d62728", label="Calls")
ax.set_title("Hours per day")
ax.legend(loc="upper left")
plt.tight_layout()
plt.savefig("stacked-bar.pdf")
