"""Personal data never reaches the log: examples, and properties over any surrounding text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.log import ExchangeIn, redact
from bot.log.redaction_check import read_sample, read_sample_text, score
from tests.factories import make_answer
from tests.log.conftest import Backend

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


# -- personal data a person introduces: names, addresses, dates of birth ---------------------

FIRST = ["Sarah", "Tom", "Agnieszka", "Chinedu", "Priya", "Mohammed", "Wei", "Siobhan", "Dafydd",
         "Anne-Marie", "José", "Łukasz", "Ngozi", "Olu", "Fatima", "Jo"]
LAST = ["Jones", "O'Neill", "Kowalski", "Okafor", "Patel", "Al-Sayed", "Zhang", "Llewellyn",
        "Smith-Baker", "Nowak", "Fernández", "MacLeod", "Adeyemi", "Brown"]
names = st.one_of(
    st.sampled_from(FIRST),
    st.builds(lambda f, last: f"{f} {last}", st.sampled_from(FIRST), st.sampled_from(LAST)),
    st.from_regex(r"[A-Z][a-z]{3,9}", fullmatch=True).filter(
        lambda n: n.lower() not in {"team", "head", "here", "sorry", "just", "sure", "data",
                                    "city", "unit", "user", "board", "with", "from", "this", "that",
                                    "these", "those", "there", "some", "again", "also", "still",
                                    "very", "only", "about", "after", "before", "really", "quite"}),
)
NAME_CUES = ["my name is {}", "My name's {}", "Name: {}", "signed {}", "I'm {}", "I am {}",
             "this is {} from the tax office", "Hi {},", "Dear {}", "Thanks, {}",
             "Regards,\n{}", "Kind regards, {}", "cheers {}",
             "many thanks\n— {}\n",  # a dash sign-off ends its line
             "Mrs {}", "Cllr {}", "Dr. {}"]
STREET_TYPES = ["Street", "St", "Road", "Rd", "Avenue", "Lane", "Close", "Way", "Crescent",
                "Terrace", "Gardens", "Drive", "Place", "Court", "Square", "Grove", "Mews"]
PLACES = ["Mill", "High", "Church", "Station", "Kings", "Oakwood", "Marlow", "Bridge", "Elm"]


@st.composite
def introduced_names(draw: st.DrawFn) -> tuple[str, str]:
    """A name and the phrase that introduces it."""
    name = draw(names)
    cue = draw(st.sampled_from(NAME_CUES))
    if cue.split()[0] in {"Mrs", "Cllr", "Dr."}:
        name = name.split()[-1]
    if cue.startswith("my name is") and draw(st.booleans()):
        name = name.lower()  # chat users write their own name in lower case
    return name, cue.format(name)


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, str]:
    number = str(draw(st.integers(1, 999))) + draw(st.sampled_from(["", "", "a", "B"]))
    place = draw(st.sampled_from(PLACES))
    kind = draw(st.sampled_from(["uk", "uk", "de", "pl", "fr", "flat"]))
    if kind == "uk":
        street = f"{number} {place} {draw(st.sampled_from(STREET_TYPES))}"
    elif kind == "de":
        street = f"{place}straße {number}"
    elif kind == "pl":
        street = f"ul. {place} {number}"
    elif kind == "fr":
        street = f"{number} rue de la {place}"
    else:
        street = f"flat {draw(st.integers(1, 40))}, {number} {place} {draw(st.sampled_from(STREET_TYPES))}"
    return street, draw(st.sampled_from(["I live at {}", "my address is {}", "send it to {}",
                                          "{}", "post to: {}"])).format(street)


uk_postcodes = st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}", fullmatch=True)
MONTHS = ["January", "Feb", "March", "Apr", "May", "June", "Jul", "August", "Sept", "Oct",
          "November", "Dec"]


@st.composite
def dates_of_birth(draw: st.DrawFn) -> tuple[str, str]:
    d, m, y = draw(st.integers(1, 28)), draw(st.integers(1, 12)), draw(st.integers(1930, 2008))
    date = draw(st.sampled_from([
        f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y % 100:02d}", f"{y}-{m:02d}-{d:02d}",
        f"{d} {MONTHS[m - 1]} {y}", f"{d}th of {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}, {y}"]))
    cue = draw(st.sampled_from(["DOB {}", "dob: {}", "D.O.B. {}", "date of birth {}",
                                "Date of birth: {}", "born {}", "born on {}", "my birthday is {}"]))
    return date, cue.format(date)


@st.composite
def ni_numbers(draw: st.DrawFn) -> tuple[str, str]:
    letters = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2))
    pairs = [draw(_digits(2)) for _ in range(3)]
    suffix = draw(st.sampled_from(["A", "B", "C", "D", ""]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    nino = letters + sep + sep.join(pairs) + (sep + suffix if suffix else "")
    if not sep and draw(st.booleans()):
        nino = nino.lower()
    return nino, draw(st.sampled_from(["NI {}", "my NI number is {}", "NINO: {}", "({})"])).format(nino)


INTRODUCED = {"name": introduced_names(), "address": addresses(),
              "postcode": uk_postcodes.map(lambda p: (p, f"postcode {p}")),
              "date of birth": dates_of_birth(), "national insurance number": ni_numbers()}


@pytest.mark.parametrize("kind", sorted(INTRODUCED))
def test_introduced_personal_data_is_redacted_in_any_surrounding_text(kind: str) -> None:
    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=40), SEPARATORS, INTRODUCED[kind], SEPARATORS, st.text(max_size=40))
    def check(before: str, sep: str, case: tuple[str, str], sep2: str, after: str) -> None:
        secret, phrase = case
        out = redact(before + sep + phrase + sep2 + after)
        assert secret not in out

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
        ("Hi, my name is Sarah Jones and I work in HR", "Hi, my name is [name] and I work in HR"),
        ("Dear Mrs Patel, the portal", "Dear Mrs [name], the portal"),
        ("Regards,\nAnna Kowalska", "Regards,\n[name]"),
        ("I live at 12 High Street, Leeds LS1 4AB", "I live at [address], Leeds [postcode]"),
        ("ul. Długa 12/3, 00-950 Warszawa", "[address], [postcode] Warszawa"),
        ("born on 3rd March 1985 in Kent", "born on [dob] in Kent"),
        ("DOB: 1971-04-03", "DOB: [dob]"),
        ("NI qq123456c", "NI [id-number]"),
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
        "I'm Head of Digital at Leeds City Council and this is Urgent",
        "Hi Team, go-live is 15/03/2025 for 12 agencies",
        "after 5 years on the road the 3 main issues remain; Q3 4th week - Phase 2 starts",
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


# -- measured on a labelled sample of realistic messages --------------------------------------

SAMPLE = Path(__file__).parents[1] / "data" / "pii_sample.yaml"
HOLDOUT = Path(__file__).parents[1] / "data" / "pii_holdout.yaml"
FLOOR = {"name": 0.85, "address": 0.9, "postcode": 0.9, "dob": 0.95, "nino": 0.95, "id": 0.95,
         "email": 1.0, "phone": 1.0}


def test_recall_per_kind_and_over_redaction_on_the_labelled_sample() -> None:
    figures = score(read_sample(SAMPLE))
    assert sum(figures.total.values()) >= 700 and figures.clean_messages >= 150
    for kind, floor in FLOOR.items():
        assert figures.recall(kind) >= floor, (kind, figures.recall(kind))
    assert figures.over_redaction <= 0.01
    assert figures.clean_changed_share <= 0.08


def test_redaction_generalises_to_the_held_out_sample() -> None:
    # Read once after tuning: 74.6 % of all personal data, names 61.8 % (the weak spot).
    figures = score(read_sample(HOLDOUT))
    assert figures.recall() >= 0.72 and figures.recall("name") >= 0.6
    for kind in ("dob", "nino", "email", "phone"):
        assert figures.recall(kind) >= 0.95, (kind, figures.recall(kind))
    assert figures.over_redaction <= 0.01


def test_the_score_counts_a_partly_redacted_name_as_a_miss() -> None:
    sample = read_sample_text("- text: 'ask Sarah Jones'\n  pii: [{kind: name, value: 'Sarah Jones'}]")
    assert score(sample, lambda t: t.replace("Sarah", "[name]")).recall("name") == 0.0
    assert score(sample, lambda t: t.replace("Sarah Jones", "[name]")).recall("name") == 1.0
    assert score(sample, lambda t: "[name]").over_redaction == 1.0  # "ask" was removed too


@pytest.mark.parametrize("question", ["lone \ud800 surrogate in a question",
                                      "line\x85break \u2028 and NUL\x00"])
def test_every_answered_exchange_is_stored_whatever_its_characters(backend: Backend, question: str) -> None:
    # Given questions a UTF-8 encoder refuses or a line reader would split, When they are logged
    log = backend.logs[0] if backend.logs else backend.started()
    exchange_id = log.record(ExchangeIn(surface="dm", question=question, answer=make_answer(),
                                        latency_ms=1.0, user_id="U012AB3CD"))
    log.flush()
    # Then each is stored, with only the unstorable characters replaced
    (row,) = backend.rows("SELECT question FROM exchange WHERE id = :id", id=exchange_id)
    assert row.question == question.replace("\ud800", "\ufffd").replace("\x00", "")
