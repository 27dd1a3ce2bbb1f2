"""Batch: many episodes from a manifest, validated first, run in parallel, resumable.

Takes a ``Manifest`` and an output folder; gives a ``BatchReport`` (one ``EpisodeSummary``
per episode, also written as ``batch-report.json``) and a stream of typed ``events``.
Episodes run in local worker processes (``local``) or on a Dask cluster (``cluster``),
each through ``worker.execute_episode``.
"""
