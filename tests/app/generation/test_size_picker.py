from app.generation.size_picker import CUSTOM, SizePicker
from app.generation.sizes import describe_shape, size_presets
from glm_core.generation.validation import RECOMMENDED_SIZES


def test_presets_are_the_recommended_sizes_for_the_real_model():
    presets = size_presets(512, 2048)
    assert [(p.width, p.height) for p in presets] == RECOMMENDED_SIZES
    assert presets[0].label == "1280 × 1280  ·  Square"
    assert describe_shape(1568, 1056) == "Landscape 3:2"
    assert describe_shape(960, 1728) == "Portrait 9:16"


def test_presets_fit_a_small_models_limits():
    presets = size_presets(32, 512)
    assert presets[0].width == presets[0].height == 512
    assert all(32 <= p.width <= 512 and 32 <= p.height <= 512 for p in presets)
    assert all(p.width % 32 == 0 and p.height % 32 == 0 for p in presets)


def test_custom_sizes_snap_to_valid_values(qtbot):
    picker = SizePicker()
    qtbot.addWidget(picker)
    assert picker.size == (1280, 1280)
    with qtbot.waitSignal(picker.sizeChanged):
        picker.width_box.setValue(1000)
        picker.width_box.editingFinished.emit()
    assert picker.size == (992, 1280)  # a multiple of 32, aspect kept
    assert picker.presets.currentText() == CUSTOM

    picker.set_size(5000, 3000)  # too large: scaled into range as a whole
    assert picker.size == (2048, 1216)

    picker.presets.setCurrentIndex(1)
    picker.presets.activated.emit(1)
    assert picker.size == (1568, 1056)
    picker.swap.click()
    assert picker.size == (1056, 1568)
    assert picker.presets.currentText().startswith("1056 × 1568")


def test_new_limits_resnap_the_current_size(qtbot):
    picker = SizePicker()
    qtbot.addWidget(picker)
    picker.set_size(1568, 1056)
    picker.set_limits(32, 512)
    assert picker.size == (512, 352)
    assert picker.width_box.maximum() == 512
    picker.set_size(64, 64)
    assert picker.size == (64, 64)


def test_a_smaller_model_keeps_the_shape_of_the_size(make_window, qtbot):
    """Loading the demo (32..512 px) after a 1280x1280 poster gives 512x512, not a sliver: the
    picker and the settings must never see a new width paired with an old height."""
    window = make_window()
    window.create_panel.size_picker.set_size(1280, 1280)
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
        window.start()
    settings = window.doc.settings
    assert window.create_panel.size_picker.size == (settings.width, settings.height) == (512, 512)


def test_settings_observers_see_a_size_change_whole():
    from glm_core.generation.settings import GenerationSettings

    settings, seen = GenerationSettings(width=1280, height=1280), []
    settings.observe(lambda name, value: seen.append((name, settings.width, settings.height)))
    settings.update(width=512, height=256)
    assert seen == [("width", 512, 256), ("height", 512, 256)]
