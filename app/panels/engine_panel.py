"""Engine picker (toolbar combo) and the options form built from the engine's ``OptionSpec``s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine_names import engine_tooltip, plain_name
from app.settings import Settings
from app.worker import EngineRun
from engine.pipeline import STRATEGIES, InpaintOptions, default_texture
from engine.registry import CAP_FULL_RES, EngineSpec, OptionSpec, available_devices, get_spec, list_specs

TEXTURE_HELP = (
    "Fill the hole with the photo's own patches (grass, gravel, brick, grain), coarse to fine, with the "
    "engine's fill as the guide to the structure (engine/texture.py; not part of the engines' papers). "
    "Strength 1 = the completion as it is, 0.5 = half over the engine's fill. On by default for learned "
    "engines, whose fills are smooth."
)

STRATEGY_LABELS = {
    "crop": "Around each hole (fast)",
    "resize": "Whole photo, scaled down",
    "full": "Whole photo, full size (slow)",
}

STRATEGY_HELP = {
    "crop": "one box per hole with context around it, at the engine's working size (fast, default)",
    "resize": "the whole photo scaled down to the resize limit, filled, hole scaled back up",
    "full": "the whole photo at full size (slow on big photos)",
}


class EnginePanel(QWidget):
    """``combo`` goes in the toolbar; the panel itself (strategy, device, engine options) in a dock."""

    engine_changed = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._loading = False  # True while _load_texture sets the controls: do not save them back
        self.specs: dict[str, EngineSpec] = {}
        self.controls: dict[str, QWidget] = {}
        #: the exclude-from-sampling layer for the next run (uint8 H×W, > 127 = never a source) or None;
        #: the window points it at the open document
        self.exclude_source: Callable[[], np.ndarray | None] = lambda: None
        self.combo = QComboBox()
        self.combo.setMinimumWidth(self.fontMetrics().horizontalAdvance("Copy texture from the photo (PatchMatch)"))
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setToolTip("Engine that fills the mask (Ctrl+Return runs it)")
        self.combo.currentIndexChanged.connect(self._on_combo)

        self.strategy = QComboBox()
        for s in STRATEGIES:
            self.strategy.addItem(STRATEGY_LABELS[s], s)
            self.strategy.setItemData(self.strategy.count() - 1, STRATEGY_HELP[s], Qt.ItemDataRole.ToolTipRole)
        self.strategy.setCurrentIndex(max(0, self.strategy.findData(str(settings.get("engine/strategy")))))
        self.strategy.setToolTip(
            "How big photos are handled: " + "; ".join(f"{k}: {v}" for k, v in STRATEGY_HELP.items())
        )
        self.device = QComboBox()
        for d in available_devices():
            self.device.addItem(d.upper() if d == "cpu" else "CUDA GPU", d)
        idx = self.device.findData(settings.get("engine/device"))
        self.device.setCurrentIndex(max(0, idx))
        self.device.setToolTip("Where learned engines run (CUDA appears when a GPU is visible)")
        self.feather = QSpinBox()
        self.feather.setRange(0, 64)
        self.feather.setSuffix(" px")
        _roomy(self.feather, "64 px")
        self.feather.setToolTip(
            "Blend this many pixels outside the hole with the fill (0 = hard edge; touches only that band)"
        )

        self.texture = QCheckBox("Photo texture")
        self.texture.setToolTip(TEXTURE_HELP)
        self.texture_strength = QDoubleSpinBox()
        self.texture_strength.setRange(0.1, 2.0)
        self.texture_strength.setSingleStep(0.1)
        self.texture_strength.setDecimals(1)
        _roomy(self.texture_strength, "2.0")
        self.texture_strength.setToolTip("How much of the photo's patches go over the engine's fill (1 = all)")
        self.texture.toggled.connect(self.texture_strength.setEnabled)
        self.texture.toggled.connect(lambda _on: self._save_texture())
        self.texture_strength.valueChanged.connect(lambda _v: self._save_texture())

        common = QFormLayout()
        common.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        common.addRow("Work on", self.strategy)
        common.addRow("Device", self.device)
        common.addRow("Soft edge", self.feather)
        common.addRow(self.texture, self.texture_strength)
        self._common = common
        self.options_box = QGroupBox("Engine options")
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(common)
        layout.addWidget(self.options_box)
        layout.addWidget(self.about)
        layout.addStretch(1)
        self.refresh()

    # ----------------------------------------------------------------- list
    def refresh(self) -> None:
        """(Re)fill the combo from the registry: unavailable engines disabled, reason as tooltip."""
        wanted = self.current_name() or str(self.settings.get("engine/name"))
        model = QStandardItemModel(self.combo)
        self.specs = {}
        for spec in list_specs():
            ok, reason = spec.availability()
            name = plain_name(spec)
            item = QStandardItem(name if ok else f"{name} (unavailable)")
            item.setData(spec.name, Qt.ItemDataRole.UserRole)
            item.setToolTip(engine_tooltip(spec) + "\n" + ("Ready: " if ok else "Unavailable: ") + reason)
            item.setEnabled(ok)
            model.appendRow(item)
            self.specs[spec.name] = spec
        self.combo.blockSignals(True)
        self.combo.setModel(model)
        self.combo.blockSignals(False)
        self.select(wanted) or self.select(self.available_names()[0] if self.available_names() else "")
        self._on_combo()

    def available_names(self) -> list[str]:
        return [n for n, s in self.specs.items() if s.availability()[0]]

    def select(self, name: str) -> bool:
        """Make ``name`` current if it exists and is available."""
        spec = self.specs.get(name)
        if spec is None or not spec.availability()[0]:
            return False
        self.combo.setCurrentIndex(self.combo.findData(name, Qt.ItemDataRole.UserRole))
        return True

    def current_name(self) -> str:
        return str(self.combo.currentData(Qt.ItemDataRole.UserRole) or "")

    def current_spec(self) -> EngineSpec | None:
        return self.specs.get(self.current_name())

    # -------------------------------------------------------------- options
    def _on_combo(self, *_: Any) -> None:
        spec = self.current_spec()
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.controls = {}
        if spec is None:
            self.about.setText("No engine available.")
            return
        saved = self.settings.get(f"engine_options/{spec.name}", {}) or {}
        for opt in spec.options:
            control = _control_for(opt, saved.get(opt.name, opt.default) if isinstance(saved, dict) else opt.default)
            control.setToolTip(opt.help)
            if isinstance(control, QSpinBox | QDoubleSpinBox):
                _roomy(control, "0000.000")
            self.controls[opt.name] = control
            self.options_form.addRow(opt.label, control)
        self.options_box.setVisible(bool(spec.options))
        self._load_texture(spec)
        _ok, reason = spec.availability()
        self.about.setText(f"<b>{plain_name(spec)}</b><br>{spec.description}")
        self.about.setToolTip(f"{engine_tooltip(spec)}\n{reason}")
        self.combo.setToolTip(f"Engine that fills the mask (Ctrl+Return runs it)\n{engine_tooltip(spec)}")
        self.settings.set("engine/name", spec.name)
        self.engine_changed.emit(spec.name)

    # -------------------------------------------------------------- texture
    def _load_texture(self, spec: EngineSpec) -> None:
        """Show ``spec``'s texture setting (saved per engine; default: on for learned engines)."""
        strength = texture_setting(self.settings, spec)
        exemplar = CAP_FULL_RES in spec.capabilities  # patchmatch is texture synthesis already
        self._loading = True
        self.texture.setChecked(strength > 0 and not exemplar)
        self.texture_strength.setValue(strength if strength > 0 else 1.0)
        self.texture_strength.setEnabled(strength > 0 and not exemplar)
        self.texture.setEnabled(not exemplar)
        self._loading = False

    def _save_texture(self) -> None:
        spec = self.current_spec()
        if spec is None or self._loading or not self.texture.isEnabled():
            return
        value = self.texture_strength.value() if self.texture.isChecked() else 0.0
        self.settings.set(f"texture/{spec.name}", float(value))

    def texture_for(self, name: str) -> float:
        """Texture strength a run of engine ``name`` gets (0 = off): the panel's for the current
        engine, the saved (or default) setting for the others."""
        if name == self.current_name():
            return self.texture_strength.value() if self.texture.isChecked() and self.texture.isEnabled() else 0.0
        return texture_setting(self.settings, get_spec(name))

    def engine_options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, control in self.controls.items():
            if isinstance(control, QCheckBox):
                out[name] = control.isChecked()
            elif isinstance(control, QSpinBox | QDoubleSpinBox):
                out[name] = control.value()
            elif isinstance(control, QComboBox):
                out[name] = control.currentText()
        return out

    def run_spec(self, name: str | None = None) -> EngineRun:
        """What to run: the current engine (or ``name`` with its defaults) with the panel's options."""
        current = self.current_name()
        name = name or current
        engine_options = self.engine_options() if name == current else {}
        if name == current:
            self.settings.set(f"engine_options/{name}", engine_options)
        self.settings.set("engine/strategy", self.strategy.currentData())
        self.settings.set("engine/device", self.device.currentData())
        options = InpaintOptions(
            strategy=str(self.strategy.currentData()),
            feather=self.feather.value(),
            texture=self.texture_for(name),
            engine_options=engine_options,
            exclude=self.exclude_source(),
        )
        return EngineRun(name, str(self.device.currentData()), options)

    @property
    def device_name(self) -> str:
        return str(self.device.currentData())


def texture_setting(settings: Settings, spec: EngineSpec) -> float:
    """Saved texture strength of ``spec`` (0 = off), else its default (on for learned engines)."""
    if CAP_FULL_RES in spec.capabilities:
        return 0.0
    value = settings.get(f"texture/{spec.name}", None)
    try:
        return min(2.0, max(0.0, float(value))) if value is not None else default_texture(spec)
    except (TypeError, ValueError):
        return default_texture(spec)


def _roomy(spin: QSpinBox | QDoubleSpinBox, widest: str) -> None:
    """Room for ``widest`` and the arrows: never a clipped value at any scale."""
    spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance(widest) + 48)


def _control_for(opt: OptionSpec, value: Any) -> QWidget:
    """A widget for one engine option (bool -> check box, int/float -> spin box, choice -> combo)."""
    if opt.kind == "bool":
        box = QCheckBox()
        box.setChecked(bool(value) if not isinstance(value, str) else value.lower() in {"1", "true"})
        return box
    if opt.kind == "choice":
        combo = QComboBox()
        combo.addItems(list(opt.choices))
        combo.setCurrentText(str(value))
        return combo
    spin: QSpinBox | QDoubleSpinBox = QSpinBox() if opt.kind == "int" else QDoubleSpinBox()
    lo = opt.minimum if opt.minimum is not None else (-1e6 if opt.kind == "float" else -(2**31) + 1)
    hi = opt.maximum if opt.maximum is not None else (1e6 if opt.kind == "float" else 2**31 - 1)
    if isinstance(spin, QSpinBox):
        spin.setRange(int(lo), int(hi))
        spin.setValue(int(float(value)))
    else:
        spin.setDecimals(3)
        spin.setRange(float(lo), float(hi))
        spin.setValue(float(value))
    return spin
