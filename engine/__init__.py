"""AutoEdit engine: footage analysis, prompt-driven edit planning, OTIO timelines, preference learning."""

__version__ = "0.1.0"
