"""Metadata: what we are told about a podcast and its episodes, and the ID3 tags.

Takes the podcast config, manifests, command-line values and show-notes listings; gives
validated ``PodcastConfig`` and ``Episode`` values (and TOML, show notes and tags out).
The defaults and show-notes templates ship inside this package (``defaults/``,
``templates/``).
"""

from audio_pipeline.metadata.config import PodcastConfig, load_config, with_overrides
from audio_pipeline.metadata.manifest import (
    Manifest,
    ManifestProblem,
    ManifestProblems,
    build_episode,
    load_manifest,
)
from audio_pipeline.metadata.manifest_write import dump_manifest

__all__ = ["Manifest", "ManifestProblem", "ManifestProblems", "PodcastConfig", "build_episode",
           "dump_manifest", "load_config", "load_manifest", "with_overrides"]
