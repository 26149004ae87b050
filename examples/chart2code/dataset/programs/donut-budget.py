import matplotlib.pyplot as plt
import numpy as np

fig, ax = plt.subplots(figsize=(5, 5))
ax.pie([40, 25, 20, 15], labels=["Rent", "Food", "Travel", "Savings"],
       colors=["#8dd3c7", "#ffffb3", "#bebada", "#fb8072"],
       wedgeprops={"width": 0.4})
ax.set_title("Monthly budget")
plt.savefig("donut-budget.pdf")
