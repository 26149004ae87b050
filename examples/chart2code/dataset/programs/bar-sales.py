import matplotlib.pyplot as plt
import numpy as np

quarters = ["Q1", "Q2", "Q3", "Q4"]
sales = [120, 135, 160, 150]
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(quarters, sales, color="#4C72B0")
ax.set_title("Quarterly sales")
ax.set_xlabel("Quarter")
ax.set_ylabel("Units sold")
plt.tight_layout()
plt.savefig("bar-sales.pdf")
