#!/usr/bin/python3
"""Reference values for the text data tests, written by independent readers,
into Tests/DataTests/TextFixtures.swift.

    /usr/bin/python3 scripts/gen_text_data_fixtures.py

- CSV and TSV files written by Python's csv module (quotes, "" escapes,
  fields spanning lines, CRLF, non-ASCII text, a one-character text; empty
  texts are an error, tested in Swift) and the texts and
  labels Python's csv.reader reads back; plus hand-written lenient CSV whose
  reading by csv.reader is the reference.
- A hand-made ARFF file and the values a small ARFF reader written here (not
  scipy.io.arff, which cannot read string attributes) finds in it.
- The Reuters-21578 grain and corn ARFF files of Debian's weka package
  (./scripts/test fetches them): instances per split and class, total
  characters and the first text's start, read by the same small reader.
- Debian fortunes-min's quotations: count, total characters, first and last.
"""
import base64
import csv
import io
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def swift_string(s):
    """A Swift string literal with every non-ASCII or control character escaped."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%x}" % o)
    return '"' + "".join(out) + '"'


def swift_strings(v):
    return "[" + ", ".join(swift_string(s) for s in v) + "]"


def b64(data):
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- ARFF reader
# Written for these fixtures, independently of the Swift code: a regex
# tokenizer over each data line.
VALUE = re.compile(r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^,%]*?))\s*(?:,|$|%)""")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\", "%": "%"}


def unescape(s):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


def split_values(line):
    vals = []
    pos = 0
    while pos <= len(line):
        m = VALUE.match(line, pos)
        if m is None:
            raise ValueError("cannot read " + line[pos:pos + 30])
        if m.group(1) is not None:
            vals.append(unescape(m.group(1)))
        elif m.group(2) is not None:
            vals.append(unescape(m.group(2)))
        else:
            v = m.group(3).strip()
            vals.append(None if v == "?" else v)
        end = m.end()
        if end == pos or end > len(line) or line[end - 1:end] != ",":
            break
        pos = end
    return vals


def read_arff(text):
    """(attributes [(name, type or list of nominal values)], rows)"""
    attrs, rows, in_data = [], [], False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        if not in_data:
            low = s.lower()
            if low.startswith("@attribute"):
                rest = s[len("@attribute"):].strip()
                if rest[0] in "'\"":
                    q = rest[0]
                    end = rest.index(q, 1)
                    name, typ = rest[1:end], rest[end + 1:].strip()
                else:
                    name, typ = rest.split(None, 1)
                if typ.startswith("{"):
                    inner = typ[1:typ.rindex("}")]
                    typ = [v for v in split_values(inner)]
                else:
                    typ = typ.split()[0].lower()
                attrs.append((name, typ))
            elif low.startswith("@data"):
                in_data = True
            continue
        rows.append(split_values(s))
    return attrs, rows


def texts_labels(path_or_text, text_attr=None, label_attr=None, is_text=False):
    text = path_or_text if is_text else open(path_or_text, encoding="utf-8").read()
    attrs, rows = read_arff(text)
    names = [a[0] for a in attrs]
    t = names.index(text_attr) if text_attr else next(i for i, a in enumerate(attrs) if a[1] == "string")
    l = names.index(label_attr) if label_attr else max(i for i, a in enumerate(attrs) if isinstance(a[1], list))
    classes = attrs[l][1]
    return [r[t] for r in rows], [classes.index(r[l]) for r in rows], classes


# ---------------------------------------------------------------- fixtures
CSV_ROWS = [
    ["text", "label", "id"],
    ["A plain sentence.", "positive", "1"],
    ['She said "hello", then left.', "negative", "2"],
    ["Line one\nline two\r\nline three", "positive", "3"],
    [".", "neutral", "4"],
    ["Caf\u00e9 cr\u00e8me, na\u00efve \u4e2d\u6587 \U0001F600", "negative", "5"],
    ["  leading and trailing spaces  ", "neutral", "6"],
    ['""quoted"" twice', "positive", "7"],
    ["tab\there, comma, semicolon;", "negative", "8"],
]


def csv_bytes(rows, delimiter, terminator, quoting=csv.QUOTE_MINIMAL):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def read_csv(data, delimiter):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))
    return [r for r in rows if r]


# Hand-written CSV that csv.reader reads leniently: text after a closing
# quote joins the field, a quote inside an unquoted field is kept, bare CR
# ends a record, blank lines are skipped.
LENIENT = b'text,label\r"abc"def,x\rab"c,y\n\n"multi\rline",x\n"a,b",y\n'

ARFF = """% A hand-made ARFF file: comments, case, quoting, escapes, missing values.
@RELATION 'tiny texts'

@Attribute 'doc id' NUMERIC
@attribute body STRING
@attribute "source" string
@ATTRIBUTE sentiment {neg, 'so so', pos}   % the label
@attribute score real

@DATA
% first instance
1, 'It\\'s fine,\\n really.', "wire", pos, 0.5
2,"Say \\"no\\"\\t\\\\ done", ?, neg, ?
3, plain, 'x', 'so so', 1e3
 4 , '.', '?', neg, 2 % trailing comment
5,'caf\u00e9 \u4e2d', web, pos, 3
"""


def reuters_dir():
    dirs = []
    if os.environ.get("LORA_DATA"):
        dirs += [os.environ["LORA_DATA"], os.environ["LORA_DATA"] + "/reuters"]
    dirs += [os.path.expanduser("~/.cache/lora/data/reuters"), "/usr/share/doc/weka/examples"]
    for d in dirs:
        if all(os.path.isfile(f"{d}/Reuters{t}-{s}.arff") for t in ("Grain", "Corn") for s in ("train", "test")):
            return d
    return None


def fortunes(path):
    raw = open(path, "rb").read().decode("utf-8")
    entries = re.split(r"^%\r?$", raw, flags=re.M)
    out = []
    for e in entries:
        while re.search(r"[^\x08\n]\x08", e):
            e = re.sub(r"[^\x08\n]\x08", "", e, count=1)
        e = e.strip("\n").rstrip(" \t\r\n")
        e = e.lstrip("\n")
        if e:
            out.append(e)
    return out


def main():
    out = ["// GENERATED by scripts/gen_text_data_fixtures.py (Python's csv module and a small ARFF reader). Do not edit.", "",
           "enum TextFixtures {"]
    w = out.append
    # CSV written by Python (CRLF), TSV (LF), and a semicolon file with every field quoted.
    for name, delim, term, quoting in [("csv", ",", "\r\n", csv.QUOTE_MINIMAL), ("tsv", "\t", "\n", csv.QUOTE_MINIMAL),
                                       ("semicolon", ";", "\n", csv.QUOTE_ALL)]:
        data = csv_bytes(CSV_ROWS, delim, term, quoting)
        rows = read_csv(data, delim)
        w(f"    static let {name}File = {swift_string(b64(data))}")
        w(f"    static let {name}Texts: [String] = {swift_strings([r[0] for r in rows[1:]])}")
        w(f"    static let {name}Labels: [String] = {swift_strings([r[1] for r in rows[1:]])}")
    rows = read_csv(LENIENT, ",")
    w(f"    static let lenientFile = {swift_string(b64(LENIENT))}")
    w(f"    static let lenientTexts: [String] = {swift_strings([r[0] for r in rows[1:]])}")
    w(f"    static let lenientLabels: [String] = {swift_strings([r[1] for r in rows[1:]])}")
    # ARFF.
    texts, labels, classes = texts_labels(ARFF, is_text=True)
    w(f"    static let arffFile = {swift_string(b64(ARFF.encode('utf-8')))}")
    w(f"    static let arffTexts: [String] = {swift_strings(texts)}")
    w(f"    static let arffLabels = {labels}")
    w(f"    static let arffClasses: [String] = {swift_strings(classes)}")
    texts, labels, classes = texts_labels(ARFF, text_attr="source", label_attr="sentiment", is_text=True)
    w(f"    static let arffSourceTexts: [String?] = [" + ", ".join("nil" if t is None else swift_string(t) for t in texts) + "]")
    # Reuters.
    d = reuters_dir()
    w(f"    static let reutersAvailable = {'true' if d else 'false'}")
    if d:
        for topic in ("Grain", "Corn"):
            counts, chars, first = [], [], []
            for split in ("train", "test"):
                texts, labels, classes = texts_labels(f"{d}/Reuters{topic}-{split}.arff")
                assert classes == ["0", "1"], classes
                counts.append([labels.count(0), labels.count(1)])
                chars.append(sum(len(t) for t in texts))
                first.append(texts[0][:60])
            t = topic.lower()
            w(f"    /// Reuters{topic}: [train, test] x [other, {t}] instance counts.")
            w(f"    static let reuters{topic}Counts = {counts}")
            w(f"    static let reuters{topic}Characters = {chars}")
            w(f"    static let reuters{topic}FirstTexts: [String] = {swift_strings(first)}")
    f = "/usr/share/games/fortunes/fortunes"
    w(f"    static let fortunesAvailable = {'true' if os.path.isfile(f) else 'false'}")
    if os.path.isfile(f):
        fs = fortunes(f)
        w(f"    static let fortunesCount = {len(fs)}")
        w(f"    static let fortunesCharacters = {sum(len(x) for x in fs)}")
        w(f"    static let fortunesFirst = {swift_string(fs[0])}")
        w(f"    static let fortunesLast = {swift_string(fs[-1])}")
        over = [x for x in fs if "UN*lucky" in x]
        w(f"    static let fortunesOverstruck = {swift_string(over[0] if over else '')}")
    w("}")
    path = os.path.join(ROOT, "Tests/DataTests/TextFixtures.swift")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
