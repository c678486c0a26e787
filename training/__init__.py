"""Training package: datasets, masks, losses, recipes, loop, export."""
