import matplotlib.pyplot as plt
import numpy as np

months = np.arange(1, 13)
city_a = [2, 3, 7, 12, 16, 20, 23, 22, 18, 12, 7, 3]
city_b = [10, 11, 13, 15, 18, 22, 25, 25, 23, 19, 14, 11]
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(months, city_a, color="#1f77b4", marker="o", label="Oslo")
ax.plot(months, city_b, color="#d62728", linestyle="--", label="Rome")
ax.set_title("Mean monthly temperature")
ax.set_xlabel("Month")
ax.set_ylabel("Temperature (C)")
ax.legend()
ax.grid(True, alpha=0.3)
plt.tight_layout()
plt.savefig("line-temperature.pdf")
