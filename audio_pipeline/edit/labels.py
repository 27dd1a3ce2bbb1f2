"""The edit list as an Audacity label track (File > Import > Labels): one region per cut,
``start<TAB>end<TAB>label``, so an editor reviews every cut in the tool they already use."""

from __future__ import annotations

from audio_pipeline.edit.types import EditList


def render_labels(edits: EditList) -> str:
    lines = []
    for n, cut in enumerate(edits.cuts, start=1):
        what = cut.issue.heard if cut.issue is not None and cut.issue.heard else ""
        label = f"{n} {cut.reason} ({cut.confidence:.2f})" + (f": {what}" if what else "")
        label = " ".join(label.replace("\t", " ").split())
        lines.append(f"{cut.start:.6f}\t{cut.end:.6f}\t{label}")
    return "".join(line + "\n" for line in lines)
