"""The editor's bundled data: weights with their model cards (``weights/``), sample photos (``samples/``),
the application icon (``icons/``) and the desktop entry. Installed as the package ``inpaint_resources``
(setup.py maps this folder to that name); :mod:`engine.paths` finds it through :mod:`importlib.resources`."""
