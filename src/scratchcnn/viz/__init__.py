"""Pictures of what a network does: training plots (``viz.plots``) and the interactive
visualizer of ``scratchcnn visualize`` (``viz.server`` serves the page in ``viz/static``
and the JSON API of ``viz.api``)."""
