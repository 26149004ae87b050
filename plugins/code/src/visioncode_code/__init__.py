"""visioncode-code: source code rendered as an image, a text executor, and OCR and
code-understanding metrics."""
