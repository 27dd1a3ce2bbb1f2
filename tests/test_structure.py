"""The shape of the package: layers import downward only, no import cycle (lazy imports
included), no module over 400 lines, no private name imported across modules, Click
only in cli/ and no heavy library imported by cli/ itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "audio_pipeline"
MAX_LINES = 400
HEAVY = {"whisper", "torch", "mutagen", "numpy"}

# Lower layers never import higher ones. Same-layer imports are allowed (no cycle checks
# them); the package's own __init__ and __main__ stand outside (lazy public API).
LAYERS: dict[str, float] = {
    "errors": 0, "types": 0, "fsutil": 0, "formatting": 0, "cache": 0, "background": 0,
    "media": 1,
    "metadata": 2,  # reads media's MP3 constants for config checks
    "loudness": 3, "transcribe": 3, "align": 3, "qc": 3,
    "edit": 3.5,  # after align and loudness (cuts from issues, rendered audio), under publish
    "publish": 4,
    "pipeline": 5, "episode_language": 5,
    "batch": 6,
    "cli": 7,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import, lazy ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [a.name for a in node.names]
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            if submodules:
                out += [(m, [], node.lineno) for m in submodules]
            else:
                out.append((base, names, node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    return {name: {m for m, _, _ in _imports(name, path) if m in MODULES}
            for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_has_a_layer() -> None:
    missing = [m for m in MODULES if m.count(".") >= 1 and _layer(m) is None
               and m not in ("audio_pipeline.__main__",)]
    assert not missing, f"add these to LAYERS: {missing}"


def test_layers_import_downward_only() -> None:
    upward = []
    for name, path in MODULES.items():
        mine = _layer(name)
        if mine is None:
            continue
        for target, _, line in _imports(name, path):
            theirs = _layer(target) if target.startswith("audio_pipeline.") else None
            if theirs is not None and theirs > mine:
                upward.append(f"{path.name}:{line} {name} -> {target}")
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge a depth-first walk meets, as the cycle it closes."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycle_lazy_imports_included() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle: Python imports
    # the package first, then the modules it names.
    real = [c for c in _cycles(_graph())
            if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not real, "\n".join(" -> ".join(c) for c in real)


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the check above must be able to fail
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_at_most_400_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines"


def test_no_private_name_is_imported_from_another_module() -> None:
    private = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            if not target.startswith("audio_pipeline"):
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    private.append(f"{path}:{line} imports {n} from {target}")
    assert not private, "\n".join(private)


def test_click_only_in_cli_and_cli_imports_no_heavy_library() -> None:
    wrong = []
    for name, path in MODULES.items():
        roots = {t.split(".")[0] for t, _, _ in _imports(name, path)}
        in_cli = name.startswith("audio_pipeline.cli")
        if not in_cli and "click" in roots:
            wrong.append(f"{path} imports click")
        if in_cli and roots & HEAVY:
            wrong.append(f"{path} imports {sorted(roots & HEAVY)}")
    assert not wrong, "\n".join(wrong)


def test_every_stage_folder_says_what_it_takes_and_gives() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text("utf-8")))
        assert doc and len(doc.split()) >= 15, f"{folder.name}/__init__.py needs a docstring"
