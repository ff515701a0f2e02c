"""How people type in chat, rewritten into the words the knowledge base is written in.

Real questions name amounts ("Rs 200"), sizes ("75*72", "6x4"), order numbers, phone numbers
and e-mail addresses; they abbreviate ("pls give me customer care no"), mix Hindi and English
("paise wapas kab milenge"), and use emoji. Left as they are, those words are unknown to the
articles, so the gate reads them as a sign that the question is off-topic, and the word
vectors read them as noise. :func:`normalize` turns them into plain English words first:

- **slots**: an e-mail address, a link, a phone number, an amount, a size, a weight or volume,
  a time, a date and an order / reference number each become one word naming what it is
  (``email``, ``link``, ``phone number``, ``amount``, ``size``, ``quantity``, ``time``,
  ``date``, ``id``); :data:`SLOT_WORDS` are never counted as unknown words;
- **chat shorthand** and **Hinglish** function and everyday words (:data:`SHORTHAND`, written
  by hand — not learnt from any data set) become their English words, or nothing for filler;
- **emoji** become the word they usually stand for, or nothing.

Articles go through the same function, so a phrasing that says "Rs 500" and a question that
says "₹ 200" meet on ``amount``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SHORTHAND", "SLOT_WORDS", "normalize"]

SLOT_WORDS = frozenset(
    ("email", "link", "phone", "number", "amount", "size", "quantity", "time", "date", "id")
    + ("name",)  # what bot.knowledge.privacy.mask leaves for a requester's name
)

_CURRENCY = r"(?:rs\.?|inr|₹|\$|€|£|usd|eur|rupees?|dollars?|euros?)"
_UNIT = (
    r"(?:kgs?|gms?|grams?|mg|mcg|ml|ltrs?|litres?|liters?|lbs?|pounds?|oz|cm|mm|"
    r"inch(?:es)?|ft|feet|gb|mb|tb|capsules?|tablets?|servings?|scoops?)"
)
_NUMBER = r"\d+(?:[.,]\d+)*"
# Order matters: the first pattern that matches a stretch of text wins.
_SLOTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"\b{_NUMBER}\s?[x*×]\s?{_NUMBER}(?:\s?[x*×]\s?{_NUMBER})*(?:\s?{_UNIT}\b)?"),
        " size ",
    ),
    (re.compile(rf"\b{_NUMBER}\s?{_UNIT}\b"), " quantity "),
    (re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b"), " time "),
    (re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b"), " date "),
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(?:https?://|www\.)\S+")
_AMOUNT = re.compile(
    rf"(?<!\w)(?P<before>{_CURRENCY})\s?{_NUMBER}(?:\s?/-)?|"
    rf"\b{_NUMBER}\s?(?:/-|(?P<after>{_CURRENCY})(?!\w))"
)
_CURRENCY_WORDS = {"rs": "rupees", "rs.": "rupees", "inr": "rupees", "₹": "rupees", "$": "dollars"}
_CURRENCY_WORDS |= {"€": "euros", "£": "pounds", "usd": "dollars", "eur": "euros"}
_PHONE = re.compile(r"(?<!\w)\+?\d[\d -]{8,}\d\b")
_CODE = re.compile(r"\b[a-z#-]*\d[\da-z#-]*\b")  # a word with a digit: an id, a model, "covid19"

# Chat shorthand and common Hindi (romanised) words → English; "" drops filler. Hand-written.
SHORTHAND: dict[str, str] = {
    # English chat shorthand
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plzz": "please",
    "pl": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "tnx": "thanks",
    "ty": "thanks",
    "msg": "message",
    "acc": "account",
    "amt": "amount",
    "bal": "balance",
    "txn": "transaction",
    "pymt": "payment",
    "pmt": "payment",
    "recd": "received",
    "rcvd": "received",
    "nt": "not",
    "dnt": "dont",
    "cnt": "cant",
    "wat": "what",
    "wht": "what",
    "hw": "how",
    "wen": "when",
    "y": "why",
    "coz": "because",
    "bcoz": "because",
    "bcz": "because",
    "abt": "about",
    "gud": "good",
    "frnd": "friend",
    "hv": "have",
    "dat": "that",
    "wid": "with",
    "tym": "time",
    "asap": "soon",
    "info": "information",
    "mob": "mobile",
    "num": "number",
    "nos": "numbers",
    "qty": "quantity",
    "del": "delivery",
    "addr": "address",
    "hlo": "hello",
    "hii": "hi",
    "hiii": "hi",
    "helo": "hello",
    "sry": "sorry",
    "ok": "ok",
    "okk": "ok",
    "kk": "ok",
    # Hinglish question words and negation
    "kya": "what",
    "kyu": "why",
    "kyun": "why",
    "kyon": "why",
    "kiu": "why",
    "kab": "when",
    "kaise": "how",
    "kese": "how",
    "kaisa": "how",
    "kitna": "how much",
    "kitne": "how many",
    "kitni": "how much",
    "kaha": "where",
    "kahan": "where",
    "kaun": "who",
    "nahi": "not",
    "nahin": "not",
    "nhi": "not",
    "nai": "not",
    # pronouns
    "mera": "my",
    "meri": "my",
    "mere": "my",
    "mujhe": "me",
    "muje": "me",
    "mjhe": "me",
    "maine": "i",
    "mene": "i",
    "aap": "you",
    "ap": "you",
    "aapka": "your",
    "apka": "your",
    "aapki": "your",
    "apki": "your",
    "aapke": "your",
    "apke": "your",
    "hum": "we",
    "humne": "we",
    "hamara": "our",
    # everyday content words
    "paisa": "money",
    "paise": "money",
    "pese": "money",
    "paisee": "money",
    "rupaye": "money",
    "wapas": "back",
    "vapas": "back",
    "wapis": "back",
    "jama": "deposit",
    "nikalna": "withdraw",
    "nikala": "withdraw",
    "nikal": "withdraw",
    "khata": "account",
    "naam": "name",
    "bhejo": "send",
    "bhej": "send",
    "bheja": "sent",
    "mila": "received",
    "mili": "received",
    "milega": "receive",
    "milegi": "receive",
    "milenge": "receive",
    "chahiye": "want",
    "chaiye": "want",
    "chahta": "want",
    "chahti": "want",
    "batao": "tell",
    "bataye": "tell",
    "bataiye": "tell",
    "btao": "tell",
    "bolo": "tell",
    "sahi": "correct",
    "galat": "wrong",
    "khel": "play",
    "khelna": "play",
    "khela": "played",
    "jeet": "win",
    "jeeta": "won",
    "jita": "won",
    "kat": "deducted",
    "kata": "deducted",
    "kate": "deducted",
    "samay": "time",
    "jaldi": "soon",
    "abhi": "now",
    "kal": "yesterday",
    "aaj": "today",
    "chalu": "working",
    "shuru": "start",
    "dikha": "showing",
    "dikh": "showing",
    "bhai": "",
    "bhaiya": "",
    "ji": "",
    "yaar": "",
    "bro": "",
    "sir": "",
    "madam": "",
    "mam": "",
    "maam": "",
    "sirji": "",
    # Hindi function words (no English word is spelt so)
    "hai": "",
    "hain": "",
    "hei": "",
    "ho": "",
    "hua": "",
    "hui": "",
    "hue": "",
    "raha": "",
    "rahi": "",
    "rahe": "",
    "rha": "",
    "rhi": "",
    "rhe": "",
    "gaya": "",
    "gayi": "",
    "gaye": "",
    "gya": "",
    "gyi": "",
    "tha": "",
    "thi": "",
    "ka": "",
    "ki": "",
    "ke": "",
    "ko": "",
    "se": "",
    "mein": "",
    "mai": "",
    "mei": "",
    "bhi": "",
    "aur": "and",
    "toh": "",
    "ye": "this",
    "yeh": "this",
    "vo": "that",
    "woh": "that",
    "wo": "that",
    "kuch": "some",
    "karo": "do",
    "kro": "do",
    "karna": "do",
    "krna": "do",
    "karne": "do",
    "kar": "do",
    "kr": "do",
    "kiya": "did",
    "kia": "did",
    "diya": "gave",
    "dijiye": "give",
}

# Emoji people send instead of words (anything else pictographic is dropped).
_EMOJI_WORDS = {
    "🙏": " please ",
    "👍": " ok ",
    "👎": " bad ",
    "😡": " angry ",
    "😠": " angry ",
    "😢": " sad ",
    "😭": " sad ",
    "❓": " ? ",
    "❔": " ? ",
    "💰": " money ",
    "💵": " money ",
    "📦": " parcel ",
    "🚚": " delivery ",
    "📞": " call ",
    "☎": " call ",
    "📱": " phone ",
    "📧": " email ",
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_DIGIT = re.compile(r"\d")  # every slot pattern but e-mail and link needs one


def _is_pictograph(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Cs", "Co") or 0xFE00 <= ord(ch) <= 0xFE0F


def _strip_emoji(text: str) -> str:
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        word = _EMOJI_WORDS.get(ch)
        if word is not None:
            out.append(word)
        elif ch == "\u200d" or _is_pictograph(ch):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _amount(match: re.Match[str]) -> str:
    """ "Rs 200" → "rupees amount": the slot, and the currency (it can be the question)."""
    currency = (match.group("before") or match.group("after") or "").strip()
    return f" {_CURRENCY_WORDS.get(currency, currency)} amount "


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return " phone number " if 10 <= digits <= 15 else match.group(0)


def _code(match: re.Match[str]) -> str:
    """Five digits or more (four among letters) are an order, ticket or reference number;
    "covid19", "powerplay11" and "4g" stay words."""
    token = match.group(0)
    digits = sum(ch.isdigit() for ch in token)
    return " id " if digits >= 5 or (digits >= 4 and digits < len(token)) else token


def _shorthand(match: re.Match[str]) -> str:
    word = match.group(0)
    return SHORTHAND.get(word.lower(), word)


def normalize(text: str) -> str:
    """``text`` with slots, shorthand, Hinglish and emoji in plain English words (lower case).

    The result is for matching only: it is never shown to anyone.
    """
    text = _strip_emoji(unicodedata.normalize("NFKC", text)).casefold()
    if "@" in text:
        text = _EMAIL.sub(" email ", text)
    if "http" in text or "www." in text:
        text = _LINK.sub(" link ", text)
    if _DIGIT.search(text):  # amounts, sizes, quantities, times, dates, phones, ids
        text = _AMOUNT.sub(_amount, text)
        for pattern, word in _SLOTS:
            text = pattern.sub(word, text)
        text = _CODE.sub(_code, _PHONE.sub(_phone, text))
    if SHORTHAND.keys().isdisjoint(_WORD.findall(text)):  # text is case-folded: no .lower()
        return text
    return _WORD.sub(_shorthand, text)
