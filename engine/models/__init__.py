"""One paper network per module. Each module registers its engine spec when imported."""
