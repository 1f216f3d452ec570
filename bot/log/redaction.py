"""Redact personal data from free text before the conversation log stores or spools it.

Rules run in order on the whole text; each replaces what it finds with a placeholder:
URLs lose their user-info, query string and fragment; then e-mail addresses, Slack
tokens, Slack user mentions and ids, dates of birth (a date after "born", "DOB", "date of
birth"), postal addresses (street addresses in British, European and US forms, flats, UK
and European postcodes), IBANs, card numbers (Luhn-checked), national-ID-like numbers (UK
National Insurance numbers with any prefix) and phone numbers. Any remaining run of seven
or more digits is treated as an identifier, except ISO/European dates, year ranges and
amounts with thousands separators. Last come people's names where the text introduces one:
"my name is …", "I'm …", "this is …", a greeting, a sign-off ("regards, …", "signed …", a
closing "— …") or a title ("Mrs …", "Cllr …").

Redaction is deliberately greedy: a false positive costs a report a few words, a false
negative leaks someone's data. No PII library is used: those that find names without cue
words (Presidio, scrubadub's name detectors) need language models downloaded at run time;
the cue-based rules below are measured on a labelled sample (`python bench/redaction.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>|\"]+", re.IGNORECASE)
_EMAIL = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+",
)
_TOKEN = re.compile(r"\b(?:xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[\w-]+", re.IGNORECASE)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>", re.IGNORECASE)
_SLACK_USER_ID = re.compile(r"@?\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b")
_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ -][A-Z0-9]{4}){2,7}(?:[ -][A-Z0-9]{1,4})?)\b",
    re.IGNORECASE,
)
# Up to 19 digits with single space/dash separators, not glued to other digits.
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_ID_NUMBERS = (
    re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),  # US SSN
    re.compile(r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b", re.IGNORECASE),  # Nordic (FI/SE/DK/NO)
    # UK National Insurance number: any two-letter prefix (test prefixes such as QQ and
    # unallocated ones included), spaces or dashes between pairs, suffix optional.
    re.compile(r"\b[A-Z]{2}[ -]?\d{2}(?P<s>[ -]?)\d{2}(?P=s)\d{2}(?:[ -]?[A-D])?\b"),
    re.compile(r"\b[A-Z]{2}\d{6}[A-D]?\b", re.IGNORECASE),
    re.compile(r"\b(?!(?:to|on|in|at|is|of|by|or|as|an|be|do|go|if|it|me|my|no|so|up|us|we)\b)"
               r"[A-Z]{2}(?P<t>[ -])\d{2}(?P=t)\d{2}(?P=t)\d{2}(?:(?P=t)[A-D])?\b", re.IGNORECASE),
    re.compile(r"\b\d{8}[A-Z]\b", re.IGNORECASE),  # ES DNI and similar
    re.compile(r"\b[XYZ]\d{7}[A-Z]\b", re.IGNORECASE),  # ES NIE
    re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE),  # IT codice fiscale
    re.compile(r"\b(?:PC|DC|PCSO|Sgt|PS)\s+\d{3,5}\b"),  # a police officer's collar number
)
# A personal reference after the word that names it: "staff number 482197", "case ref HB/2023/1187".
_ID_AFTER_CUE = re.compile(
    r"(\b(?:staff|employee|payroll|personnel|passport|nhs|tax|case|customer|citizen|member(?:ship)?"
    r"|account|(?:driving\s+)?licen[cs]e|student|patient|claim|application|applicant|benefit|pupil"
    r"|prison(?:er)?|warrant|collar|crime|tenancy|identity(?:\s+card)?|id\s+card|identità|dni|nie|cnp"
    r"|nif|bsn|pps|codice\s+fiscale|fiscal\s+code|social\s+security)"
    r"(?:\s+(?:number|no\.?|id|ref(?:erence)?|#))*\s*(?:is|:|=)?\s*)"
    r"(?=[A-Z0-9/-]*\d)([A-Z0-9](?:[A-Z0-9]|[/-](?=[A-Z0-9])){3,})\b",
    re.IGNORECASE,
)
# A digit run with single separators (or "(0)"-style brackets), optional leading + or (; not the
# digits of a ticket or code glued to letters ("INC0012345", "TRN-2024-0042").
_DIGITS = re.compile(r"(?<!\w)(?<![A-Za-z][-/])(?:\+|\(\+?)?\d(?:[ .\-/()]{0,2}\d)+")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d ?[-/] ?(?:19|20)\d\d|(?:19|20)\d\d/\d{1,5}")  # also "2018/1724"
_AMOUNT = re.compile(r"\d{1,3}(?:[.,]\d{3}){2,}(?:[.,]\d{1,2})?")

# -- dates of birth --------------------------------------------------------------------------
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
          # Spanish, Italian, French, German, Dutch, Portuguese
          r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
          r"|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
          r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
          r"|januar|februar|märz|juni|juli|oktober|dezember|januari|februari|maart|mei|augustus"
          r"|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_ANY_DATE = (rf"(?:\d{{4}}[-./]\d{{1,2}}[-./]\d{{1,2}}|\d{{1,2}}[-./]\d{{1,2}}[-./]\d{{2,4}}"
             rf"|{_DAY}(?:\s+(?:of|de))?[\s-]+{_MONTH},?(?:\s+de)?[\s-]+(?:\d{{2,4}}|['’]\d\d)"
             rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}})")
_DOB = re.compile(
    rf"(\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday(?:'s)?|born(?:\s+on)?(?:\s+the)?"
    rf"|b\.|n[ée]e?\s+le|geb\.|geboren(?:\s+(?:am|op))?|geburtsdatum|data\s+urodzenia|urodzon[ya]|ur\."
    rf"|nacid[oa]\s+el|fecha\s+de\s+nacimiento|nat[oa]\s+il|data\s+di\s+nascita"
    rf"|data\s+de\s+nascimento|nascid[oa]\s+(?:em|a)|data\s+na[sș]terii|n[ăa]scut[ăa]?\s+(?:la|pe))"
    rf"(?:\s+(?:is|was|as))?\s*[:=(,-]?\s*){_ANY_DATE}(?![\w/.-]*\d)",
    re.IGNORECASE,
)
# A full date of the last century is a date of birth in these messages (projects are dated
# this century); so is any full date right after a name, or in a message that holds one.
_OLD_DATE = re.compile(rf"(?<![\w/.-])(?:(?:19\d\d)[-./]\d{{1,2}}[-./]\d{{1,2}}"
                       rf"|\d{{1,2}}[-./]\d{{1,2}}[-./]19\d\d|{_DAY}(?:\s+(?:of|de))?[\s-]+{_MONTH},?(?:\s+de)?[\s-]+19\d\d)(?![\w/.-]*\d)",
                       re.IGNORECASE)
_FULL_DATE = re.compile(rf"(?<![\w/.-]){_ANY_DATE}(?![\w/.-]*\d)", re.IGNORECASE)

# -- postal addresses --------------------------------------------------------------------------
_STREET_TYPES = (r"street|st|road|rd|avenue|ave|lane|ln|drive|close|way|place|pl|court|ct"
                 r"|crescent|cres|terrace|gardens|gdns|square|sq|boulevard|blvd|grove|row|walk"
                 r"|mews|parade|hill|park|green|highway|hwy|view|rise|wharf|quay|loan|wynd|brae"
                 r"|vennel|row|gate")
_WORD = r"[^\W\d_][\w'’.-]*"
_STREET = re.compile(  # "12 High Street", "flat 3, 4a Mill Lane", "4/2 Dalriada St", "845 Linden Ct NW"
    rf"\b(?:c/o\s+)?(?:(?:flat|apartment|apt|unit|suite)\s+\d+[a-z]?,?\s+|\d{{1,3}}/\d{{1,3}},\s+)?"
    rf"\d{{1,5}}[a-z]?(?:[/-]\d{{1,4}}[a-z]?)?,?\s+"
    rf"(?:{_WORD}\s+){{1,3}}(?:{_STREET_TYPES})\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    rf"|\b\d{{1,5}}[a-z]?\s+[A-Z][a-z]+(?:way|gate|field|side)\b",  # "77 Kingsway"
    re.IGNORECASE,
)
_FLAT = re.compile(r"\b(?:\d+(?:st|nd|rd|th)\s+floor\s+flat|(?:flat|apartment|apt|suite|room|unit|plot"
                   r"|bungalow|berth|pitch)\s+[a-z]?\d+[a-z]?)\b"
                   r"|\b(?:p\.?\s?o\.?\s?box|bp|postfach|skr\.\s?poczt\.)\s*\d+\b", re.IGNORECASE)
_EU_STREET = re.compile(  # "Hauptstraße 5", "ul. Długa 12/3", "5 rue de la Paix", "Via Roma 10"
    r"\b(?:[^\W\d_]+(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|laan|gracht|katu|gatan"
    r"|vej|veien|bach|ring|damm|ufer|steig)|(?:ul\.|ulica|al\.|aleja|os\.|osiedle|plac|via|viale"
    r"|vicolo|corso|largo|piazza|calle|c/|avda\.|avenida|plaza|carrer|rua|travessa|strada|str\.|rue"
    r"|chaussée|am|an\s+der|auf\s+der|im|zum|zur)(?:\s+[^\W\d_][\w'’.-]*){1,3})\s+\d{1,4}[a-z]?"
    r"(?:[/-]\d{1,4})?\b"
    r"(?:\s+(?:m\.|lok\.|app\.|apt\.?)\s*\d+)?"
    r"|\b(?:am|an\s+der|auf\s+der|im|in\s+der|zum|zur)\s+(?=[^\W\d_]+(?:straße|platz|weg|markt))"
    r"|\burbanizaci[oó]n(?:\s+[^\W\d_][\w'’.-]*){1,3}"
    r"|\b\d{1,4}[a-z]?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|heol|ffordd"
    r"|stryd)(?:\s+[^\W\d_][\w'’-]*){1,4}",
    re.IGNORECASE,
)
_BUILDING = re.compile(  # "Marlowe House", "1 The Old Forge"
    r"\b(?:\d{1,4}[a-z]?\s+)?(?:the\s+)?(?:[A-Z][\w'’-]+\s+){0,2}"
    r"(?:House|Lodge|Mansions|Cottage|Cottages|Forge|Barn|Manor|Farm|Farmhouse|Hostel|Marina"
    r"|Caravan\s+Park|Business\s+Park|Care\s+Home|Sheltered\s+Scheme|Maltings|Annexe)\b")
_UNIT_BEFORE = re.compile(r"\b(?:flat|unit|plot|room|berth|apartment|suite)\s+(?=\[address\])", re.IGNORECASE)
# What follows an address: sub-units, a street after a building, a postcode with no town.
_ADDRESS_TAIL = re.compile(
    r"(?<=\[address\])(?:,?\s+(?:scala|interno|int\.|piso|portal|bajo|esc\.|puerta|lgh|bte|lok\.|m\."
    r"|rear\s+annexe|annexe|unit|flat|room)\s*[\w/]+|,?\s*\d+º\s*[A-Za-z]*\.?"
    r"(?:\s+(?:izquierda|derecha|izq\.?|dcha\.?|esq\.?|dto\.?))?"
    r"|,\s*(?:[A-Z][\w'’-]+\s+){1,3}(?:Road|Street|Lane|Walk|Way|Avenue|Close|Drive|Place|Row|Hall"
    r"|House|Court|Park|Marina|Lodge))+"
    r"|(?<=\[address\],\s)(?:\d{4}\s?[A-Z]{2}|\d{2}-\d{3}|\d{3}\s\d{2}|\d{4,5})\b"
    r"|\b[AC-FHKNPRTV-Y]\d{2}\s?[AC-FHKNPRTV-Y0-9]{4}\b",  # an Irish Eircode
)
_UK_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
_EU_POSTCODE = re.compile(  # "00-950 Warszawa", "10115 Berlin", "1012 AB Amsterdam", ", 44000 nantes"
    r"\b(?:\d{2}-\d{3}|\d{5}|\d{4} ?[A-Z]{2})\s+[A-ZÀ-Þ][^\W\d_]+"
    r"|(?<=, )(?:\d{2}-\d{3}|\d{5})(?=\s+[^\W\d_])",
)
_US_STATE_ZIP = re.compile(r"(?<=,)\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
_STREET_STOP = frozenset([
    "the", "a", "an", "of", "on", "in", "at", "to", "for", "and", "or", "my", "our", "your",
    "their", "per", "by", "with", "from", "than", "over", "under", "into", "about", "after", "is",
    "are", "was", "were",
    "before", "since", "every", "each", "more", "less", "all"
])

# -- people's names, where the text introduces one --------------------------------------------


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NAME_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?\.?")
_CI = re.IGNORECASE
# Cues after which a name follows in any case ("my name is sarah").
_STRONG_CUE = re.compile(r"\b(?:my\s+name\s+is|my\s+name'?s|(?:sur|first\s+|last\s+|full\s+)?name\s*[:=]"
                         r"|i\s+am\s+called|call\s+me|sign(?:ed)?\s+by|contact\s+person\s*:"
                         r"|(?:caller|resident|customer|client|patient|citizen|applicant|claimant|tenant"
                         r"|contact|member|employee|officer|from|to|attn|details)\s*:)"
                         r"\s*,?\s*[\x27\x22‘“]?", _CI)
# Cues after which a capitalised name follows: introductions, greetings, sign-offs, roles,
# and verbs that take a person ("ask Karen", "loop in Anjali Deshpande").
_WEAK_CUE = re.compile(
    r"\b(?:i['’]?m|i\s+am|this\s+is|it['’]?s|here\s+is|dear|hi|hiya|hello|hey|thanks|thank\s+you"
    r"|thanks\s+(?:in\s+advance|again|all)|(?:good\s+)?(?:morning|afternoon|evening)|surname"
    r"|(?:first|last|family)\s+name|member\s+of\s+the\s+public"
    r"|many\s+thanks|cheers|regards|kind\s+regards|best\s+regards|warm\s+regards|best\s+wishes"
    r"|best|sincerely|yours\s+(?:sincerely|faithfully|truly)|signed|ask|tell|contact|e-?mail|ping"
    r"|message|loop\s+in|cc|per|forward\s+(?:this|it)\s+to|send\s+(?:this|it|the\s+\w+)\s+to"
    r"|on\s+behalf\s+of|remind|help|thank|named|called|name"
    r"|(?:my|our|your|his|her|their)\s+(?:[\w-]+\s+){0,2}?(?:manager|boss|colleague|director|supervisor"
    r"|lead|leader|cio|cto|cdo|dpo|architect|analyst|po|ba|sponsor|mentor|buddy|trainer|deputy"
    r"|partner|contact|mum|dad|sister|brother|wife|husband)(?:\s+is)?)\b[,:!.]?\s*"
    r"|\b(?:participant|applicant|tester|claimant|tenant|starter|student|patient|resident|caller|citizen"
    r"|member|employee|officer|colleague|manager|user|daughter|son|mother|father|mum|dad|wife"
    r"|husband|partner|victim|driver|porter|pupil|child|parent|carer|landlord|lodger|rep|steward"
    r"|compañer[oa]|jef[ae]|dottoressa|dott\.ssa|doña|don|another|both)\b(?:\s+is)?[,:]?[ \t]*",
    _CI,
)
# Connectives that are often followed by a place or a product: only a two-word name counts.
_PAIR_CUE = re.compile(r"\b(?:with|and|from|by|to|add|for|between)\s+", _CI)
_DASH_CUE = re.compile(r"(?:^|(?<=\s))[-–—~]{1,2}[ \t]*")  # "— Sam" closing a line, "- Jo, Housing"
_LINE_END = re.compile(r"[ \t.!]*(?:\n|$)|,|[.;][ \t]|[ \t]+[-–—]")
_RANK_CUE = re.compile(r"\b(?:PC|DC|DS|DI|DCI|DSI|PCSO|Sgt|Insp|Supt|Ch\s+Supt)\.?\s+")  # police ranks
_PARTICLES = _wordlist("van de der den del della di da dos das du le la bin binti ibn ap von zu y i al el")
_TITLE_CUE = re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|cllr|councillor|rev|herr|frau|pan|pani"
                        r"|mme|mlle|sr|sra|señor|señora|signor|signora|sig|dott)\b\.?\s+", _CI)
# A capitalised name followed by what people write after their own or a colleague's name.
_NAME_THEN_CUE = re.compile(
    r"(?<![\w'’-])((?:[^\W\d_][\w'’-]*\s+){0,2}[^\W\d_][\w'’-]*)"
    r"(?=\s+here\b|\s*\((?:our|my|the|from)\b|\s+from\s+(?:the\s+)?[^\W\d_]"
    r"|\s+(?:says|said|wants|thinks|keeps|told|asked|has\s+asked|wrote|is\s+pushing|will\s+take)"
    r"|\s*,\s*(?:our|the|my|his|her|their|a|an)\s+[a-z]|['’]s\s+[a-z]"
    r"|\s*[,(]\s*(?:DOB\s*|employee\s+ID\s*|staff\s+no\.?\s*)?\[(?:email|phone|address|dob|id-number)\]"
    r"|\s+(?:is|has|was|and\s+I|joined|left|leads|runs)\b)",
)
# Chat introductions in lower case: "im josh btw", "hey its wei from housing", "ewa here."
_LOWER_INTRO = re.compile(
    r"\b(?:i['’]?m|its|it['’]s|this\s+is)\s+([a-z][\w'’-]+(?:\s+[a-z][\w'’-]+)?)"
    r"(?=\s*(?:,|\bfrom\b|\bhere\b|\bbtw\b|[.!]))"
    r"|(?:^|[.!?,]\s*)([a-z][\w'’-]+)\s+here\b(?=\s*[.!,])",
)
_LOWER_SIGN_OFF = re.compile(
    r"(?:\b(?:cheers|thanks|thx|ta|tnx|regards|best)\b(?:\s*[,!.]\s*|\s+)[-–—]?|(?:^|\s)[-–—]|[.!?]\s)\s*"
    r"([a-z][\w'’-]+)\s*[.!]?\s*$",
    _CI,
)
_NOT_NAMES = _wordlist(r"""
i a an the and or but not no so to of in on at for from with by as is am are was be been it its
this that these those there here all any some team teams everyone everybody folks guys colleagues
sir madam advisor assistant support chat bot hello hi minister ministers secretary director
directors manager managers head chief deputy acting interim senior junior temporary lead officer
officers member members chair colleague friend friends again also just still sorry happy glad
sure afraid worried new responsible working trying going looking writing currently based part
one only about after before very really quite too monday tuesday wednesday thursday friday
saturday sunday january february march april may june july august september october november
december today tomorrow yesterday morning afternoon evening week month year day phase stage
wave tier release sprint version step round level hr ict
digital data cio cto cdo dpo siro pmo union council ministry department agency office
government service services programme program project board committee unit city county state
national regional local federal public private citizen citizens staff user users customer
customers resident residents people person someone anyone urgent important critical serious
strange weird ridiculous ok okay fine great good bad terrible awful annoying frustrating
confusing normal please help welcome ready done late british english finance legal procurement
ops comms estates payroll it's cloud microsoft google oracle sap azure aws power excel word
sharepoint outlook windows teams zoom slack jira servicenow salesforce thanks cheers regards
adult social care children resources combined authority operation commissioner police crime ward
wing cabinet coach agile us once
i'm i’m im we're you're they're dear hi hello hey morning afternoon evening mr mrs ms miss mx dr
prof cllr
""")
_DETERMINERS = _wordlist("the a an our my your their his her this that")
_BEFORE_ORG = _DETERMINERS | _wordlist("of for to at in on")
_LOWER_NOT_NAMES = _NOT_NAMES | _wordlist("""
me us you them my our new stuck lost confused tired back out off asking wondering still
trying working using struggling looking writing based sat away off busy free lol mate all
again everyone anyone someone nobody just now currently really honestly broken down slow
over gone true wrong right bad good great fine ok okay done thanks cheers please help asap
urgent anyway sorry question
""")
_NAME_PLACEHOLDER = "[name]"


def _name_tokens(text: str, start: int, *, capitalised: bool, limit: int = 3) -> tuple[int, int]:
    """Where a name that starts at `start` ends, and how many words it has (`start`, 0: none).
    Up to `limit` words, each capitalised when `capitalised`, none a common non-name word, none
    possessive ("Kraków's first attempt")."""
    end = pos = start
    words = 0
    for _ in range(limit):
        m = _NAME_TOKEN.match(text, pos)
        if not m:
            break
        word = m.group(0).rstrip(".")
        after = text[m.end():m.end() + 3]
        if word.lower() in _NOT_NAMES or (capitalised and not word[0].isupper()) \
                or (capitalised and len(word) > 1 and word.isupper() and not words) \
                or (capitalised and (after.startswith(("'s", "’s")) or re.search(r"['’]s$", word))):
            break
        end = m.end() if not m.group(0).endswith(".") or len(word) == 1 else m.end() - 1
        words += 1
        gap = re.match(r"[ \t]+", text[end:])
        if not gap:
            break
        pos = end + gap.end()
        particle = re.match(r"([a-z]+)[ \t]+(?=[^\W\d_])", text[pos:])
        while particle and particle.group(1) in _PARTICLES:  # "Anouk de Wit", "Ahmad bin Yusof"
            pos += particle.end()
            particle = re.match(r"([a-z]+)[ \t]+(?=[^\W\d_])", text[pos:])
    return end, words


def _name_before_cue(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """The name in a `_NAME_THEN_CUE` match, if its words look like one person's name."""
    before = text[:m.start(1)].split()
    previous = before[-1].strip("(\"'‘“") if before else ""
    if (previous[:1].isupper() and previous.lower() not in _NOT_NAMES) or previous.lower() in _BEFORE_ORG:
        return None  # part of a longer proper noun, or "the/of/and …": an organisation
    words = m.group(1).split()
    lo = m.start(1)
    if words[0].lower() in _DETERMINERS:  # "Our Agile Coach says": a role, not a name
        return None
    while words and words[0].lower() in _NOT_NAMES:  # "Yesterday Jürgen from the …"
        lo = text.index(words[0], lo) + len(words[0])
        lo += len(text[lo:]) - len(text[lo:].lstrip())
        words.pop(0)
    at_start = not text[:lo].strip() or text[:lo].rstrip()[-1] in ".!?:\n"
    if words and all(w[0].isupper() and w.lower() not in _NOT_NAMES and not w.isupper()
                     for w in words) and (len(words) > 1 or not at_start
                                          or text[m.end(1):].lstrip().startswith(("here", "("))):
        return lo, m.end(1)
    return None


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cue, capitalised, least in ((_STRONG_CUE, False, 1), (_WEAK_CUE, True, 1),
                                    (_PAIR_CUE, True, 2), (_DASH_CUE, True, 1),
                                    (_TITLE_CUE, True, 1), (_RANK_CUE, True, 1)):
        for m in cue.finditer(text):
            end, words = _name_tokens(text, m.end(), capitalised=capitalised)
            if words >= least and (cue is not _DASH_CUE or _LINE_END.match(text, end)):
                spans.append((m.end(), end))
    for m in _NAME_THEN_CUE.finditer(text):
        span = _name_before_cue(text, m)
        if span:
            spans.append(span)
    for m in _LOWER_INTRO.finditer(text):
        group = 1 if m.group(1) else 2
        if not set(m.group(group).lower().split()) & _LOWER_NOT_NAMES:
            spans.append(m.span(group))
    m = _LOWER_SIGN_OFF.search(text)
    if m and m.group(1).lower() not in _LOWER_NOT_NAMES:
        spans.append(m.span(1))
    return spans


_NEXT_TO_A_NAME = (  # "Meera and [name]", "[name] and Josh", "[name] van der Berg"
    re.compile(r"(?<![\w'’-])([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"
               r"(?=[ \t]*(?:,|and|&)[ \t]*\[name\])"),
    re.compile(r"(?<=\[name\])(?:[ \t]*(?:,|and|&)[ \t]*)([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"),
    re.compile(r"(?<=\[name\])([ \t]+(?:" + "|".join(sorted(_PARTICLES)) + r")(?:[ \t]+[^\W\d_][\w'’-]*)+)"),
)


def _redact_names(text: str) -> str:
    merged: list[list[int]] = []
    for lo, hi in sorted(_name_spans(text)):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    for lo, hi in reversed(merged):
        text = text[:lo] + _NAME_PLACEHOLDER + text[hi:]
    for _ in range(2):  # names listed beside a name are names too
        for pattern in _NEXT_TO_A_NAME:
            text = pattern.sub(_beside_a_name, text)
    text = _DATE_AFTER_NAME.sub("[name], [dob]", text)
    if "[dob]" in text:  # the same date of birth written another way
        text = _FULL_DATE.sub(_birth_year_date, text)
    return text


_DATE_AFTER_NAME = re.compile(rf"\[name\],\s*{_ANY_DATE}(?![\w/.-]*\d)", re.IGNORECASE)


def _birth_year_date(match: re.Match[str]) -> str:
    years = re.findall(r"\d{4}|(?<=[-./ ])\d\d$|['’]\d\d", match.group(0))
    year = int(years[-1].strip("'’")) if years else 3000
    year = year + 1900 if year < 100 else year
    return "[dob]" if year <= 2015 else match.group(0)


def _beside_a_name(match: re.Match[str]) -> str:
    words = match.group(1).split()
    if words[0] in _PARTICLES:  # "[name] van der Berg": the rest of the same name
        return match.group(0).replace(match.group(1), "")
    if all(w[0].isupper() and w.lower() not in _NOT_NAMES for w in words):
        return match.group(0).replace(match.group(1), _NAME_PLACEHOLDER)
    return match.group(0)


def _street(match: re.Match[str]) -> str:
    words = re.findall(r"\b[^\W\d_]+\b", match.group(0).lower())
    if words[:1] == ["the"] and len(words) == 2:  # "3 the crescent"
        return "[address]"
    return match.group(0) if _STREET_STOP.intersection(words) else "[address]"


def _address_tail(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[postcode]" if text[:1].isdigit() or re.fullmatch(r"[A-Z]\d{2}\s?\w{4}", text) else ""


def _postcode(match: re.Match[str]) -> str:
    text = match.group(0)
    if text[-2:] in {"st", "nd", "rd", "th"}:  # "Q3 4th" is an ordinal, not a postcode
        return text
    return "[postcode]"


def _id_after_cue(match: re.Match[str]) -> str:
    return match.group(1) + "[id-number]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _strip_url(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
    except ValueError:  # malformed port or brackets: keep only scheme and path-ish text
        scheme, _, rest = url.partition("://")
        rest = rest.split("?", 1)[0].split("#", 1)[0]
        return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _iban(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0)[4:])
    return "[iban]" if digits >= 8 else match.group(0)


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if _luhn_ok(digits) else match.group(0)


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return text
    for safe in (_DATE, _YEAR_RANGE, _AMOUNT):
        if safe.fullmatch(text):
            return text
    phone_like = text[0] in "+(" or (digits <= 15 and re.search(r"[ .\-/()]", text))
    return "[phone]" if phone_like else "[id-number]"


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_URL, _strip_url),
    (_EMAIL, "[email]"),
    (_TOKEN, "[token]"),
    (_MENTION, "[user]"),
    (_SLACK_USER_ID, "[user]"),
    (_DOB, r"\1[dob]"),
    (_OLD_DATE, "[dob]"),
    (_STREET, _street),
    (_EU_STREET, "[address]"),
    (_FLAT, "[address]"),
    (_BUILDING, "[address]"),
    (_UNIT_BEFORE, ""),
    (_ADDRESS_TAIL, _address_tail),
    (_ADDRESS_TAIL, _address_tail),  # a postcode after a tail: "[address], 4ºD, 41004"
    (_US_STATE_ZIP, " [postcode]"),
    (_EU_POSTCODE, "[postcode]"),
    (_UK_POSTCODE, _postcode),
    (_IBAN, _iban),
    (_CARD, _card),
    (_ID_AFTER_CUE, _id_after_cue),
    *((pattern, "[id-number]") for pattern in _ID_NUMBERS),
    (_DIGITS, _number),
)


def redact(text: str) -> str:
    """Return `text` with personal data replaced by placeholders such as `[email]`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _redact_names(text)


PLACEHOLDER = re.compile(r"\[(name|email|phone|address|postcode|dob|id-number|iban|card|user|token)\]")
"""What redaction writes in place of personal data, its kind in the group."""
_PERSONAL_CUES = re.compile(
    r"\b(my name is|my name'?s|i live (?:at|in)|my address|my (?:home )?postcode|date of birth"
    r"|my (?:ni|national insurance|passport|nhs|staff|employee) (?:number|no)|born on)\b",
    re.IGNORECASE,
)


def personal_traces(text: str) -> list[str]:
    """Why an already redacted text still looks personal, one reason each ([]: it does not).

    Used where text becomes curated content: a situation that held someone's data is about
    one person's case, so it is refused rather than kept with placeholders.
    """
    reasons = [f"held personal data ([{kind}])" for kind in dict.fromkeys(PLACEHOLDER.findall(text))]
    reasons += [f"says {cue.lower()!r}" for cue in dict.fromkeys(_PERSONAL_CUES.findall(text))]
    return reasons
