"""The interface is Chinese first: every user-visible text has a zh_CN translation."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from caseworks import ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHOD_MAP = [("caseworks/**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages():
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if filename.startswith((".venv", "tests", "bench", "migrations")):
            continue
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_text_has_a_chinese_translation():
    with open(ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po", encoding="utf-8") as f:
        catalog = read_po(f)
    missing = []
    for msgid, where in sorted(_source_messages().items()):
        entry = catalog.get(msgid)
        if (
            entry is None
            or not entry.string
            or entry.fuzzy
            or (isinstance(entry.string, tuple) and not all(entry.string))
        ):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} texts lack a zh_CN translation (run `make extract-messages`):\n" + "\n".join(
        missing[:50]
    )


def test_pages_are_chinese_by_default():
    from caseworks import create_app
    from config import TestConfig

    class ChineseConfig(TestConfig):
        BABEL_DEFAULT_LOCALE = "zh_CN"

    app = create_app(ChineseConfig)
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "登录" in page
    assert 'lang="zh-CN"' in page
