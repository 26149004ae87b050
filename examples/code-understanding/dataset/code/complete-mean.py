def mean(values):
    total = sum(values)
    # return the mean
