import matplotlib.pyplot as plt
import numpy as np

x = np.arange(1, 6)
y = [2.1, 2.9, 3.8, 5.2, 6.1]
err = [0.3, 0.4, 0.2, 0.5, 0.4]
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(x, y, yerr=err, fmt="o-", color="#e377c2", capsize=4)
ax.set_title("Trial results")
ax.set_xlabel("Trial")
plt.tight_layout()
plt.savefig("errorbar-trials.pdf")
