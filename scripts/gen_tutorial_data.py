#!/usr/bin/python3
"""Writes the small files tutorial 05 (your own data) loads, in tutorials/data/.

Run with Debian's Python (numpy writes the .npy files, so they are exactly
what numpy.save gives a user):

    /usr/bin/python3 scripts/gen_tutorial_data.py

The images are the first 400 of the UCI digits lora embeds
(Sources/Data/DigitsEmbedded.swift, decoded here: base64 of zlib(pixels ++
labels); CC BY 4.0, see NOTICE), 8x8, their 0..16 levels scaled to 0..255 as
uint8, as a camera or a scanner would give them:

  digits-train-images.idx3-ubyte.gz  digits-train-labels.idx1-ubyte.gz   300 images (IDX, as MNIST ships)
  digits-test-images.idx3-ubyte.gz   digits-test-labels.idx1-ubyte.gz    the next 100
  digits-x.npy (uint8, 400x8x8)      digits-y.npy (int64, 400)           all 400 (numpy.save)
  digits.csv                         label then 64 pixel columns, with a header; the first 120

The files are generated: edit this script, not them. gzip's header carries no
time stamp or name (mtime 0), so a second run gives the same bytes.
"""
import base64
import gzip
import os
import re
import struct
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tutorials", "data")


def digits():
    src = open(os.path.join(ROOT, "Sources/Data/DigitsEmbedded.swift"), encoding="utf-8").read()
    count = int(re.search(r"static let count = (\d+)", src).group(1))
    b64 = re.search(r'static let base64 = """\n(.*?)"""', src, re.S).group(1)
    raw = zlib.decompress(base64.b64decode("".join(b64.split())))
    pixels = np.frombuffer(raw[:count * 64], dtype=np.uint8).reshape(count, 8, 8)
    labels = np.frombuffer(raw[count * 64:count * 65], dtype=np.uint8)
    return pixels, labels


def write_gz(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as g:
            g.write(data)


def idx(array):
    """IDX: 00 00, type 08 (uint8), dimensions, then big-endian sizes and the bytes."""
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return head + array.astype(np.uint8).tobytes()


def main():
    pixels, labels = digits()
    images = np.minimum(pixels[:400].astype(np.int32) * 16, 255).astype(np.uint8)
    y = labels[:400].astype(np.int64)
    os.makedirs(OUT, exist_ok=True)
    write_gz("digits-train-images.idx3-ubyte.gz", idx(images[:300]))
    write_gz("digits-train-labels.idx1-ubyte.gz", idx(y[:300].astype(np.uint8)))
    write_gz("digits-test-images.idx3-ubyte.gz", idx(images[300:]))
    write_gz("digits-test-labels.idx1-ubyte.gz", idx(y[300:].astype(np.uint8)))
    np.save(os.path.join(OUT, "digits-x.npy"), images)
    np.save(os.path.join(OUT, "digits-y.npy"), y)
    with open(os.path.join(OUT, "digits.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(["label"] + [f"p{i}" for i in range(64)]) + "\n")
        for img, lab in zip(images[:120], y[:120]):
            f.write(",".join([str(lab)] + [str(v) for v in img.reshape(-1)]) + "\n")
    for name in sorted(os.listdir(OUT)):
        print(f"wrote tutorials/data/{name} ({os.path.getsize(os.path.join(OUT, name))} bytes)")


if __name__ == "__main__":
    main()
