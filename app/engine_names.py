"""Plain names of the engines for the editor: what each does first, the method after.

The registry's ``display_name`` stays the method's own name (the CLI, reports and model cards use
it); the editor lists engines by these names and puts the paper in the tooltip.
"""

from __future__ import annotations

from engine.registry import EngineSpec

PLAIN_NAMES = {
    "ns": "Fast smooth (Navier–Stokes)",
    "telea": "Fast smooth (Telea)",
    "patchmatch": "Copy texture from the photo (PatchMatch)",
    "dfnet": "Learned: DFNet — deep fusion",
    "deepgin": "Learned: DeepGIN — large holes",
    "glcic": "Learned: GLCIC — compact objects",
    "isnet": "Learned: ISNet — two-branch",
    "pconv": "Learned: PConv — irregular holes",
}


def plain_name(spec: EngineSpec) -> str:
    """The editor's name of ``spec``: :data:`PLAIN_NAMES`, else "Learned: <name>" or the name itself."""
    if spec.name in PLAIN_NAMES:
        return PLAIN_NAMES[spec.name]
    return f"Learned: {spec.display_name}" if spec.learned else spec.display_name


def engine_tooltip(spec: EngineSpec) -> str:
    """Tooltip of ``spec`` in engine lists: what it does, then the method and its paper."""
    parts = [spec.description, f"Method: {spec.display_name}", f"Paper: {spec.paper}"]
    return "\n".join(p for p in parts if p)
