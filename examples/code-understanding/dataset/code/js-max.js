function largest(xs) {
  return xs.reduce((a, b) => (a > b ? a : b));
}
