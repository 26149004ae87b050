"""visioncode-manim: Manim CE scenes rendered safely in warm workers, gridded for
critics, and checked for layout faults."""
