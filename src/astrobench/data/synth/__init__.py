"""The built-in synthetic survey: GalSim galaxies of the ten Galaxy10 DECaLS classes, with
spectra and physical properties, written as a cutout file. See docs/synthetic_survey.md."""

from astrobench.data.synth.morphology import CLASS_NAMES
from astrobench.data.synth.presets import PRESETS, SurveyPreset, get_preset
from astrobench.data.synth.survey import synthesize

__all__ = ["CLASS_NAMES", "PRESETS", "SurveyPreset", "get_preset", "synthesize"]
