"""audio-pipeline: a narrator's raw recording of an article -> finished podcast episode assets."""

__version__ = "0.1.0"
