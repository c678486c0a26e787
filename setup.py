"""The one part of the package layout pyproject.toml cannot say: the repository's ``resources/`` folder
(weights, model cards, samples, icon, desktop entry) installs as the package ``inpaint_resources`` beside
the code packages, where :mod:`engine.paths` finds it through importlib.resources. Everything else —
metadata, dependencies, entry points, which data files ship — is in pyproject.toml."""

from setuptools import find_packages, setup

CODE = ["engine", "engine.*", "app", "app.*", "training", "training.*"]
# The data folders are listed too: setuptools warns about (and will drop) importable folders it is not told of.
DATA = ["inpaint_resources", "inpaint_resources.weights", "inpaint_resources.samples", "inpaint_resources.icons"]

setup(packages=[*find_packages(include=CODE), *DATA], package_dir={"inpaint_resources": "resources"})
