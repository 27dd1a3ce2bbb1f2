# audio-pipeline in a container: Debian slim + ffmpeg, the package, and the bundled Whisper
# model already converted, running as a non-root user.
#
#   docker build -t audio-pipeline .
#   docker run --rm -v "$PWD:/data" audio-pipeline process /data/episode.wav --out /data/out
#
# PyPI's torch 2.13.0 for Linux x86_64 is a multi-GB CUDA build; for a small CPU-only image pass
# PyTorch's CPU wheel index: --build-arg PIP_EXTRA_INDEX_URL=<that index URL>.
FROM python:3.11-slim-bookworm

ARG PIP_EXTRA_INDEX_URL=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 app

WORKDIR /opt/audio-pipeline
COPY pyproject.toml README.md ./
COPY audio_pipeline ./audio_pipeline
# torch first and pinned, then the package with every optional extra but the dev tools.
RUN pip install "torch==2.13.0" \
 && pip install ".[base,dask]"

USER app
# The package ships its default config, templates and presets; mount a podcast.toml and
# set AUDIO_PIPELINE_CONFIG to use your own.
ENV AUDIO_PIPELINE_CACHE=/home/app/.cache/audio-pipeline
# Convert the bundled CTranslate2 weights to an openai-whisper checkpoint now, not on first run.
RUN audio-pipeline models prepare tiny.en

VOLUME ["/data"]
WORKDIR /data
ENTRYPOINT ["audio-pipeline"]
CMD ["--help"]
