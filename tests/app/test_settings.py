from PySide6.QtCore import QByteArray

from app.settings import MAX_RECENT_PROMPTS, StudioSettings


def test_choices_survive_a_restart(tmp_path):
    path = tmp_path / "studio.ini"
    first = StudioSettings.from_file(path)
    assert first.model_source == ""  # first run
    first.model_source = "/models/glm-image"
    first.quant = "nf4"
    first.device = "cuda"
    first.set_generation_values({"width": 1568, "height": 1056, "steps": 40, "guidance": 2.5, "seed": 7,
                                 "seed_locked": True})
    first.save_window(QByteArray(b"geometry"), QByteArray(b"state"))
    first.sync()

    again = StudioSettings.from_file(path)
    assert (again.model_source, again.quant, again.device) == ("/models/glm-image", "nf4", "cuda")
    assert again.generation_values() == {"width": 1568, "height": 1056, "steps": 40, "guidance": 2.5, "seed": 7,
                                         "seed_locked": True}
    assert again.window_geometry() == QByteArray(b"geometry")
    assert again.window_state() == QByteArray(b"state")


def test_unknown_stored_values_fall_back_to_defaults(settings):
    settings.quant = "fp4"
    settings.device = "tpu"
    settings._store.setValue("generation/steps", "many")
    assert settings.quant == "bf16"
    assert settings.device == "auto"
    assert settings.generation_values()["steps"] == 30


def test_recent_prompts_newest_first_without_duplicates(tmp_path):
    settings = StudioSettings.from_file(tmp_path / "s.ini")
    assert settings.remember_prompt("  only one  ") == ["only one"]
    settings.sync()
    # A one-item list must come back as a list (ini files flatten those to strings).
    assert StudioSettings.from_file(tmp_path / "s.ini").recent_prompts == ["only one"]
    settings.remember_prompt("海报 “夏日”")
    settings.remember_prompt("only one")
    assert settings.recent_prompts == ["only one", "海报 “夏日”"]
    for i in range(30):
        settings.remember_prompt(f"prompt {i}")
    assert len(settings.recent_prompts) == MAX_RECENT_PROMPTS
    assert settings.recent_prompts[0] == "prompt 29"
    assert settings.remember_prompt("   ") == settings.recent_prompts  # blank prompts are not kept
