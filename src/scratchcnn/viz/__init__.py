"""Pictures of what a network does: training plots (``viz.plots``)."""
