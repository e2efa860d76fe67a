#!/usr/bin/env python3
"""Validates .ipynb files written by `lora notebook run`.

With nbformat installed (Debian: python3-nbformat) each file is validated
against the official nbformat 4 JSON schema; without it, the structure is
checked by hand (the fields Jupyter needs). Prints one line per file (with
how many figures it embeds) and exits 1 on the first invalid one.
With --figures, a file must also embed at least one figure as display data
(image/svg+xml or image/png), and no output may link to an image file
instead (an HTML <img src=...> that is not a data: URI).
Usage: /usr/bin/python3 scripts/validate_ipynb.py [--figures] FILE.ipynb...
"""
import json
import sys


def check_by_hand(nb):
    assert nb["nbformat"] == 4 and isinstance(nb["nbformat_minor"], int), "nbformat 4 expected"
    assert isinstance(nb["metadata"], dict), "metadata must be an object"
    for i, cell in enumerate(nb["cells"]):
        where = f"cell {i}"
        assert cell["cell_type"] in ("markdown", "code"), where + ": unknown cell_type"
        assert isinstance(cell["source"], list) and all(isinstance(s, str) for s in cell["source"]), where + ": source"
        assert isinstance(cell["metadata"], dict), where + ": metadata"
        if cell["cell_type"] == "code":
            assert cell["execution_count"] is None or isinstance(cell["execution_count"], int), where
            for out in cell["outputs"]:
                if out["output_type"] == "display_data":
                    assert isinstance(out["data"], dict) and isinstance(out["metadata"], dict), where + ": display data"
                    for mime, value in out["data"].items():
                        assert isinstance(value, (str, list)), where + ": " + mime
                    continue
                assert out["output_type"] == "stream" and out["name"] in ("stdout", "stderr"), where + ": output"
                assert all(isinstance(t, str) for t in out["text"]), where + ": output text"


def text(value):
    return "".join(value) if isinstance(value, list) else value


def figures(nb):
    """Counts embedded figures; raises when an output links to an image file instead."""
    count = 0
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/svg+xml" in data:
                svg = text(data["image/svg+xml"]).lstrip()
                if svg.startswith("<?xml"):
                    svg = svg[svg.index("?>") + 2:].lstrip()
                assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>"), f"cell {i}: image/svg+xml is not an SVG document"
                count += 1
            elif "image/png" in data:
                count += 1
            html = text(data.get("text/html", ""))
            assert "<img src=" not in html or "data:image" in html, f"cell {i}: an HTML output links to an image file"
    return count


def main(paths):
    need_figures = "--figures" in paths
    paths = [p for p in paths if p != "--figures"]
    try:
        import nbformat
    except ImportError:
        nbformat = None
    for path in paths:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        try:
            if nbformat is not None:
                nbformat.validate(nbformat.from_dict(nb))
                how = "nbformat " + nbformat.__version__
            else:
                check_by_hand(nb)
                how = "structure (nbformat not installed)"
            embedded = figures(nb)
            if need_figures:
                assert embedded > 0, "no figure embedded as display data (image/svg+xml or image/png)"
        except Exception as e:  # report, do not trace
            print(f"{path}: INVALID: {e}")
            return 1
        print(f"{path}: valid ({how}), {len(nb['cells'])} cells, {embedded} figures embedded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
