import matplotlib.pyplot as plt
import numpy as np

fig = plt.figure(figsize=(8, 5))
grid = fig.add_gridspec(2, 3)
top = fig.add_subplot(grid[0, :])
top.plot([1, 2, 3, 4, 5], [1, 3, 2, 5, 4], color="#1f77b4")
top.set_title("Trend")
a = fig.add_subplot(grid[1, 0])
a.bar(["a", "b"], [2, 3], color="#2ca02c")
b = fig.add_subplot(grid[1, 1])
b.pie([1, 2], colors=["#9467bd", "#8c564b"])
c = fig.add_subplot(grid[1, 2])
c.hist([1, 2, 2, 3, 3, 3], bins=3, color="#bcbd22")
plt.tight_layout()
plt.savefig("gridspec-dashboard.pdf")
