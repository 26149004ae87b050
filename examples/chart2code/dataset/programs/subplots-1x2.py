import matplotlib.pyplot as plt
import numpy as np

fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
left.bar(["x", "y"], [4, 7], color="#66c2a5")
left.set_title("Before")
right.bar(["x", "y"], [6, 5], color="#fc8d62")
right.set_title("After")
plt.tight_layout()
plt.savefig("subplots-1x2.pdf")
