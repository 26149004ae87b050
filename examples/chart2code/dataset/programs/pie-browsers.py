import matplotlib.pyplot as plt
import numpy as np

fig, ax = plt.subplots(figsize=(5, 5))
ax.pie([62, 20, 10, 8], labels=["Chrome", "Safari", "Edge", "Other"],
       colors=["#4285F4", "#34A853", "#FBBC05", "#EA4335"], autopct="%1.0f%%")
ax.set_title("Browser share")
plt.savefig("pie-browsers.pdf")
