"""The model panel's quantization choice is a generation setting: the combo box shows it and
writes it, and Load uses the setting, whoever changed it."""

from __future__ import annotations


def test_quantization_choice_reads_and_writes_the_settings_model(make_window):
    window = make_window(source=None)
    panel, settings = window.model_panel, window.doc.settings
    settings.quantization = "int8"  # changed elsewhere (a restored choice): the panel follows
    assert panel.quant.currentData() == "int8" and panel.options().quant == "int8"
    panel.quant.setCurrentIndex(panel.quant.findData("nf4"))  # the user picks: the setting follows
    assert settings.quantization == "nf4" and panel.options().quant == "nf4"
    panel.set_choice("demo", "bf16", "auto")
    assert settings.quantization == "bf16" and panel.quant.currentData() == "bf16"
