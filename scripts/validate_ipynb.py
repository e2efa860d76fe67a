#!/usr/bin/env python3
"""Validates .ipynb files written by `lora notebook run`.

With nbformat installed (Debian: python3-nbformat) each file is validated
against the official nbformat 4 JSON schema; without it, the structure is
checked by hand (the fields Jupyter needs). Prints one line per file and
exits 1 on the first invalid one.
Usage: /usr/bin/python3 scripts/validate_ipynb.py FILE.ipynb...
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
                assert out["output_type"] == "stream" and out["name"] in ("stdout", "stderr"), where + ": output"
                assert all(isinstance(t, str) for t in out["text"]), where + ": output text"


def main(paths):
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
        except Exception as e:  # report, do not trace
            print(f"{path}: INVALID: {e}")
            return 1
        print(f"{path}: valid ({how}), {len(nb['cells'])} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
