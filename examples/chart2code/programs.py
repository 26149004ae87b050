"""The reference chart programs of the chart2code example: 24 charts of 20 kinds, each a
small, deterministic matplotlib program (fixed data or a seeded generator), written by
the project. `make_dataset.py` writes each to `dataset/programs/<id>.py` and renders its
reference image with the `matplotlib` renderer."""

from __future__ import annotations

HEAD = "import matplotlib.pyplot as plt\nimport numpy as np\n\n"

PROGRAMS: dict[str, str] = {
    "bar-sales": """
quarters = ["Q1", "Q2", "Q3", "Q4"]
sales = [120, 135, 160, 150]
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(quarters, sales, color="#4C72B0")
ax.set_title("Quarterly sales")
ax.set_xlabel("Quarter")
ax.set_ylabel("Units sold")
plt.tight_layout()
plt.savefig("bar-sales.pdf")
""",
    "barh-languages": """
langs = ["Python", "Rust", "Go", "Java", "C"]
share = [31, 12, 15, 22, 20]
fig, ax = plt.subplots(figsize=(6, 4))
ax.barh(langs, share, color=["#55A868", "#C44E52", "#8172B2", "#CCB974", "#64B5CD"])
ax.set_title("Survey: main language")
ax.set_xlabel("Share of answers (%)")
plt.tight_layout()
plt.savefig("barh-languages.pdf")
""",
    "grouped-bar": """
labels = ["North", "South", "East", "West"]
x = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(x - 0.2, [20, 34, 30, 35], 0.4, label="2023", color="#1f77b4")
ax.bar(x + 0.2, [25, 32, 34, 20], 0.4, label="2024", color="#ff7f0e")
ax.set_xticks(x, labels)
ax.set_ylabel("Revenue (k$)")
ax.set_title("Revenue by region")
ax.legend()
plt.tight_layout()
plt.savefig("grouped-bar.pdf")
""",
    "stacked-bar": """
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
""",
    "line-temperature": """
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
""",
    "scatter-height": """
rng = np.random.RandomState(0)
h = rng.normal(170, 8, 60)
w = 0.9 * h - 90 + rng.normal(0, 5, 60)
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(h, w, color="#9467bd", alpha=0.8)
ax.set_title("Height and weight")
ax.set_xlabel("Height (cm)")
ax.set_ylabel("Weight (kg)")
plt.tight_layout()
plt.savefig("scatter-height.pdf")
""",
    "scatter-cmap": """
rng = np.random.RandomState(1)
x, y = rng.rand(2, 80)
fig, ax = plt.subplots(figsize=(5, 4))
points = ax.scatter(x, y, c=x + y, cmap="viridis")
fig.colorbar(points, ax=ax, label="x + y")
ax.set_title("Random points")
plt.tight_layout()
plt.savefig("scatter-cmap.pdf")
""",
    "pie-browsers": """
fig, ax = plt.subplots(figsize=(5, 5))
ax.pie([62, 20, 10, 8], labels=["Chrome", "Safari", "Edge", "Other"],
       colors=["#4285F4", "#34A853", "#FBBC05", "#EA4335"], autopct="%1.0f%%")
ax.set_title("Browser share")
plt.savefig("pie-browsers.pdf")
""",
    "donut-budget": """
fig, ax = plt.subplots(figsize=(5, 5))
ax.pie([40, 25, 20, 15], labels=["Rent", "Food", "Travel", "Savings"],
       colors=["#8dd3c7", "#ffffb3", "#bebada", "#fb8072"],
       wedgeprops={"width": 0.4})
ax.set_title("Monthly budget")
plt.savefig("donut-budget.pdf")
""",
    "hist-scores": """
rng = np.random.RandomState(2)
scores = rng.normal(70, 10, 400)
fig, ax = plt.subplots(figsize=(6, 4))
ax.hist(scores, bins=20, color="#17becf", edgecolor="white")
ax.set_title("Exam scores")
ax.set_xlabel("Score")
ax.set_ylabel("Students")
plt.tight_layout()
plt.savefig("hist-scores.pdf")
""",
    "boxplot-groups": """
rng = np.random.RandomState(3)
data = [rng.normal(m, 1.0, 50) for m in (2, 3, 4)]
fig, ax = plt.subplots(figsize=(6, 4))
parts = ax.boxplot(data, patch_artist=True)
for box, colour in zip(parts["boxes"], ["#e41a1c", "#377eb8", "#4daf4a"]):
    box.set_facecolor(colour)
ax.set_xticks([1, 2, 3], ["A", "B", "C"])
ax.set_title("Response time by group")
plt.tight_layout()
plt.savefig("boxplot-groups.pdf")
""",
    "violin-doses": """
rng = np.random.RandomState(4)
data = [rng.normal(0, s, 100) for s in (1, 2, 3)]
fig, ax = plt.subplots(figsize=(6, 4))
parts = ax.violinplot(data, showmeans=True)
for body in parts["bodies"]:
    body.set_facecolor("#fdae61")
ax.set_title("Effect by dose")
plt.tight_layout()
plt.savefig("violin-doses.pdf")
""",
    "area-traffic": """
hours = np.arange(24)
visits = 50 + 40 * np.sin((hours - 6) / 24 * 2 * np.pi)
fig, ax = plt.subplots(figsize=(6, 4))
ax.fill_between(hours, visits, color="#a6cee3", alpha=0.7)
ax.plot(hours, visits, color="#1f78b4")
ax.set_title("Visits per hour")
ax.set_xlabel("Hour")
plt.tight_layout()
plt.savefig("area-traffic.pdf")
""",
    "errorbar-trials": """
x = np.arange(1, 6)
y = [2.1, 2.9, 3.8, 5.2, 6.1]
err = [0.3, 0.4, 0.2, 0.5, 0.4]
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(x, y, yerr=err, fmt="o-", color="#e377c2", capsize=4)
ax.set_title("Trial results")
ax.set_xlabel("Trial")
plt.tight_layout()
plt.savefig("errorbar-trials.pdf")
""",
    "heatmap-corr": """
rng = np.random.RandomState(5)
m = np.corrcoef(rng.rand(5, 30))
fig, ax = plt.subplots(figsize=(5, 4))
image = ax.imshow(m, cmap="coolwarm", vmin=-1, vmax=1)
fig.colorbar(image, ax=ax)
ax.set_title("Correlation")
plt.tight_layout()
plt.savefig("heatmap-corr.pdf")
""",
    "contour-hill": """
x = np.linspace(-2, 2, 60)
X, Y = np.meshgrid(x, x)
Z = np.exp(-(X ** 2 + Y ** 2))
fig, ax = plt.subplots(figsize=(5, 4))
ax.contourf(X, Y, Z, levels=10, cmap="magma")
ax.set_title("A hill")
plt.tight_layout()
plt.savefig("contour-hill.pdf")
""",
    "polar-wind": """
theta = np.linspace(0, 2 * np.pi, 9)
r = [3, 5, 4, 6, 2, 4, 5, 3, 3]
fig = plt.figure(figsize=(5, 5))
ax = fig.add_subplot(projection="polar")
ax.plot(theta, r, color="#ff7f00")
ax.set_title("Wind directions")
plt.savefig("polar-wind.pdf")
""",
    "step-queue": """
t = np.arange(10)
q = [0, 2, 3, 3, 5, 4, 6, 2, 1, 0]
fig, ax = plt.subplots(figsize=(6, 4))
ax.step(t, q, where="post", color="#636363")
ax.axhline(3, color="#e6550d", linestyle=":")
ax.set_title("Queue length")
plt.tight_layout()
plt.savefig("step-queue.pdf")
""",
    "span-events": """
t = np.linspace(0, 10, 200)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(t, np.sin(t), color="#3182bd")
ax.axvspan(2, 4, color="#fdd0a2", alpha=0.5)
ax.axvline(7, color="#31a354")
ax.set_title("Signal with events")
plt.tight_layout()
plt.savefig("span-events.pdf")
""",
    "subplots-2x2": """
x = np.linspace(0, 2 * np.pi, 50)
fig, axs = plt.subplots(2, 2, figsize=(7, 6))
axs[0, 0].plot(x, np.sin(x), color="#1b9e77")
axs[0, 0].set_title("sin")
axs[0, 1].plot(x, np.cos(x), color="#d95f02")
axs[0, 1].set_title("cos")
axs[1, 0].bar(["a", "b", "c"], [3, 5, 2], color="#7570b3")
axs[1, 0].set_title("counts")
axs[1, 1].scatter([1, 2, 3, 4], [4, 1, 3, 2], color="#e7298a")
axs[1, 1].set_title("points")
fig.suptitle("Four panels")
plt.tight_layout()
plt.savefig("subplots-2x2.pdf")
""",
    "subplots-1x2": """
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
left.bar(["x", "y"], [4, 7], color="#66c2a5")
left.set_title("Before")
right.bar(["x", "y"], [6, 5], color="#fc8d62")
right.set_title("After")
plt.tight_layout()
plt.savefig("subplots-1x2.pdf")
""",
    "gridspec-dashboard": """
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
""",
    "scatter3d-cloud": """
rng = np.random.RandomState(6)
xs, ys, zs = rng.rand(3, 40)
fig = plt.figure(figsize=(5, 5))
ax = fig.add_subplot(projection="3d")
ax.scatter(xs, ys, zs, color="#e41a1c")
ax.set_title("Point cloud")
plt.savefig("scatter3d-cloud.pdf")
""",
    "quiver-field": """
x, y = np.meshgrid(np.arange(0, 2, 0.25), np.arange(0, 2, 0.25))
fig, ax = plt.subplots(figsize=(5, 5))
ax.quiver(x, y, -y + 1, x - 1, color="#08519c")
ax.set_title("Rotation field")
plt.savefig("quiver-field.pdf")
""",
}


def program(chart_id: str) -> str:
    """The full reference program of a chart."""
    return HEAD + PROGRAMS[chart_id].lstrip("\n")
