"""visioncode-plot: matplotlib chart programs as a modality (executor, renderer,
ChartMimic and Plot2Code metrics)."""
