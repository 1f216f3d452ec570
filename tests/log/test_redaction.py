"""Personal data never reaches the log: examples, and properties over any surrounding text."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.log import ExchangeIn, redact
from tests.log.conftest import Backend, make_answer

# -- generators of personal data ---------------------------------------------------------------

digits = st.text("0123456789", min_size=1)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


@st.composite
def phones(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["+44", "+1", "+49", "+33", "+358", "+31", "0044", ""]))
    groups = draw(st.lists(_digits(draw(st.integers(2, 4))), min_size=3, max_size=4))
    sep = draw(st.sampled_from([" ", "-", "", "."]))
    body = sep.join(groups)
    if draw(st.booleans()):
        body = f"({groups[0]}) " + sep.join(groups[1:])
    return (country + " " + body).strip() if country else "0" + body


def _luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix + "0")):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from([13, 15, 16, 16, 19]))
    number = _luhn_complete(draw(st.sampled_from("3456")) + draw(_digits(length - 2)))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["DE", "FR", "GB", "NL", "FI", "ES", "IT", "BE"]))
    check = draw(_digits(2))
    bank = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=4))
    account = draw(st.text("0123456789", min_size=max(8, 11 - len(bank)), max_size=26 - len(bank)))
    iban = country + check + bank + account
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban.lower() if draw(st.integers(0, 9)) == 0 else iban


@st.composite
def national_ids(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["ssn", "nino", "nordic", "dni", "plain"]))
    if kind == "ssn":
        return f"{draw(_digits(3))}-{draw(_digits(2))}-{draw(_digits(4))}"
    if kind == "nino":
        prefix = draw(st.sampled_from(["AB", "CE", "JG", "NA", "WX"]))
        sep = draw(st.sampled_from(["", " "]))
        body = sep.join(draw(_digits(2)) for _ in range(3))
        return f"{prefix}{sep}{body}{sep}{draw(st.sampled_from('ABCD'))}"
    if kind == "nordic":
        check = draw(st.sampled_from("0123456789ABCHJKLMNPRSTUVWXY"))
        return f"{draw(_digits(6))}{draw(st.sampled_from('-+A'))}{draw(_digits(3))}{check}"
    if kind == "dni":
        return f"{draw(_digits(8))}{draw(st.sampled_from('TRWAGMYFPDXBNJZSQVHLCKE'))}"
    return draw(st.text("0123456789", min_size=9, max_size=12))


slack_ids = st.builds(
    lambda p, body: p + body,
    st.sampled_from("UW"),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=11).filter(
        lambda s: any(c.isdigit() for c in s)
    ),
)
mentions = st.one_of(
    slack_ids.map(lambda u: f"<@{u}>"),
    st.builds(lambda u, n: f"<@{u}|{n}>", slack_ids, st.from_regex(r"[a-z.]{1,12}", fullmatch=True)),
)
query_strings = st.from_regex(
    r"[a-z]{1,8}=[A-Za-z0-9%_.~-]{6,20}(&[a-z]{1,8}=[A-Za-z0-9_-]{1,10}){0,3}", fullmatch=True
)

SEPARATORS = st.sampled_from([" ", "\n", "\t", ", ", ": ", " (", ") ", "; ", " - ", "\u00a0"])
KINDS = {
    "email": st.emails(),
    "phone": phones(),
    "card": cards(),
    "iban": ibans(),
    "national id": national_ids(),
    "slack mention": mentions,
}


def _in_text(pii: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.text(max_size=40), SEPARATORS, pii, SEPARATORS, st.text(max_size=40)).map(
        lambda t: (t[2], t[0] + t[1] + t[2] + t[3] + t[4])
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_personal_data_is_redacted_in_any_surrounding_text(kind: str) -> None:
    @settings(max_examples=300, deadline=None)
    @given(_in_text(KINDS[kind]))
    def check(case: tuple[str, str]) -> None:
        pii, text = case
        assert pii not in redact(text)

    check()


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30),
    SEPARATORS,
    st.from_regex(r"https?://[a-z]{1,10}\.(gov|org|example)(/[a-z-]{1,8}){0,3}", fullmatch=True),
    query_strings,
    st.text(max_size=30),
)
def test_url_query_strings_are_dropped(prefix: str, sep: str, url: str, query: str, suffix: str) -> None:
    out = redact(f"{prefix}{sep}{url}?{query}#frag {suffix}")
    assert query not in out
    assert url in out


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_redaction_is_idempotent_and_keeps_plain_text(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+hr@city.gov.uk today", "write to [email] today"),
        ("call +44 20 7946 0958", "call [phone]"),
        ("call (020) 7946-0958", "call [phone]"),
        ("IBAN DE89 3704 0044 0532 0130 00.", "IBAN [iban]."),
        ("card 4111-1111-1111-1111 expired", "card [card] expired"),
        ("SSN 123-45-6789", "SSN [id-number]"),
        ("NI number AB 12 34 56 C", "NI number [id-number]"),
        ("hetu 131052-308T", "hetu [id-number]"),
        ("ask <@U012AB3CD> or <@W0123ABCDE|sam>", "ask [user] or [user]"),
        ("see https://intra.gov/wiki/page?user=jane&token=abc#top", "see https://intra.gov/wiki/page"),
        ("https://bob:pw@intra.gov/x", "https://intra.gov/x"),
        ("token xoxb-1234-5678-abcdef", "token [token]"),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We have 5000 users across 12 agencies since 2019.",
        "Rollout 2024-01-15 to 2024-03-31, budget 1,500,000 EUR",
        "ISO27001 and COVID-19, GDPR article 35, 2019-2024",
        "How do I get UNDERSTANDING from the MINISTERS?",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.one_of(*(_in_text(s) for s in KINDS.values())))
def test_personal_data_never_reaches_the_database(backend: Backend, case: tuple[str, str]) -> None:
    # Given a question with personal data in it, When it is logged, Then the row lacks it
    pii, text = case
    log = backend.logs[0] if backend.logs else backend.started()
    exchange_id = log.record(
        ExchangeIn(surface="dm", question=text, answer=make_answer(), latency_ms=1.0, user_id="U012AB3CD")
    )
    log.flush()
    (row,) = backend.rows("SELECT question, user_key FROM exchange WHERE id = :id", id=exchange_id)
    assert pii not in row.question
    assert row.user_key != "U012AB3CD"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.one_of(*(_in_text(s) for s in KINDS.values())))
def test_personal_data_never_reaches_the_spool(tmp_path_factory, case: tuple[str, str]) -> None:
    # Given a database that cannot be reached, the record goes to the spool: redacted too
    from bot.log import ConversationLog

    data_dir = tmp_path_factory.mktemp("spool")
    log = ConversationLog(
        database_url="postgresql://nobody@127.0.0.1:9/none",
        data_dir=data_dir,
        hmac_secret="s",
        db_timeout=1.0,
    )
    log.start()
    pii, text = case
    log.record(
        ExchangeIn(surface="dm", question=text, answer=make_answer(), latency_ms=1.0, user_id="U012AB3CD")
    )
    log.close()
    spooled = "".join(p.read_text() for p in log.spool.files())  # *.jsonl, or *.replaying
    assert spooled and pii not in json.loads(spooled)["row"]["question"]
    assert "U012AB3CD" not in spooled
