"""Registry: specs, options, availability, devices."""

from __future__ import annotations

import pytest

from engine.errors import InpaintError
from engine.registry import OptionSpec, check_device, create_engine, get_spec, list_specs


def test_classical_engines_always_available() -> None:
    names = [s.name for s in list_specs()]
    assert names[:3] == ["ns", "patchmatch", "telea"]  # classical first
    for name in ("telea", "ns", "patchmatch"):
        spec = get_spec(name)
        assert spec.availability() == (True, "always available")
        assert create_engine(name).spec is spec
    assert get_spec(" TELEA ").name == "telea"


def test_every_learned_engine_declares_weights() -> None:
    for spec in list_specs():
        if spec.learned:
            assert spec.default_weights == f"{spec.name}.safetensors"
            assert spec.native_resolution > 0 and spec.pad_multiple >= 1


def test_option_coercion() -> None:
    flag = OptionSpec("poisson", "bool", False, "Poisson")
    assert flag.coerce("yes") is True and flag.coerce("off") is False
    with pytest.raises(InpaintError, match="not a valid bool"):
        flag.coerce("maybe")
    radius = OptionSpec("radius", "int", 5, "Radius", minimum=1, maximum=64)
    assert radius.coerce("7") == 7
    with pytest.raises(InpaintError, match="below the minimum"):
        radius.coerce(0)
    choice = OptionSpec("mode", "choice", "a", "Mode", choices=("a", "b"))
    with pytest.raises(InpaintError, match="one of a, b"):
        choice.coerce("c")
    assert get_spec("telea").resolve_options({"radius": "3"}) == {"radius": 3}


def test_devices() -> None:
    assert check_device("CPU") == "cpu"
    with pytest.raises(InpaintError, match="unknown device"):
        check_device("tpu")
