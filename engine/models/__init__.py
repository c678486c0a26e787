"""The paper networks, one per module (see engine/paper.py for the interface they share)."""
