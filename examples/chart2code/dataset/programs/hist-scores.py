import matplotlib.pyplot as plt
import numpy as np

rng = np.random.RandomState(2)
scores = rng.normal(70, 10, 400)
fig, ax = plt.subplots(figsize=(6, 4))
ax.hist(scores, bins=20, color="#17becf", edgecolor="white")
ax.set_title("Exam scores")
ax.set_xlabel("Score")
ax.set_ylabel("Students")
plt.tight_layout()
plt.savefig("hist-scores.pdf")
