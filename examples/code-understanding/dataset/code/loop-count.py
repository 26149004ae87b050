total = 0
for i in range(3):
    for j in range(4):
        total += 1
print(total)
