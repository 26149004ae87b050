import matplotlib.pyplot as plt
import numpy as np

langs = ["Python", "Rust", "Go", "Java", "C"]
share = [31, 12, 15, 22, 20]
fig, ax = plt.subplots(figsize=(6, 4))
ax.barh(langs, share, color=["#55A868", "#C44E52", "#8172B2", "#CCB974", "#64B5CD"])
ax.set_title("Survey: main language")
ax.set_xlabel("Share of answers (%)")
plt.tight_layout()
plt.savefig("barh-languages.pdf")
