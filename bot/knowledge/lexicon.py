"""Word lists for matching: stopwords and the IT synonyms people use in chat.

Kept as data apart from the code in :mod:`bot.knowledge.text` so that a support lead can read
(and a test can check) what the matcher treats as the same word. Synonym targets are plain
words; :mod:`~bot.knowledge.text` stems both sides, so "passcodes" and "pwd" both become
"password".
"""

from __future__ import annotations

# Words that carry no topic: English function words plus chat filler ("hi, please help").
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any anyone anything are as at be
    because been before being below between both but by can cannot cant could did do does
    doing done down during each either else ever every few for from further get gets getting
    got had has have having he her here hers him his how i if im in into is it its itself
    just let lets like me might mine more most much must my myself need needs no nor not now
    of off ok okay on once only or other our ours out over own per please pls plz really
    same shall she should so some someone something still such than thank thanks thx that
    the their theirs them then there these they this those through to too try trying under
    unable until up upon us very via want wants was way we were what whats when where which
    while who whom why will with would yes yet you your yours yourself hi hello hey dear
    help helps again keep keeps kept anybody somebody everyone know tell told
    """.split()
)

# One word → the word it means here. Keys and values are lower-case, unstemmed.
WORD_SYNONYMS: dict[str, str] = {
    # passwords
    "pw": "password",
    "pwd": "password",
    "passwd": "password",
    "passcode": "password",
    "passphrase": "password",
    "forgotten": "forgot",
    # multi-factor authentication
    "2fa": "mfa",
    "2sv": "mfa",
    "otp": "mfa",
    "totp": "mfa",
    "authenticator": "mfa",
    "multifactor": "mfa",
    "twofactor": "mfa",
    # wireless
    "wireless": "wifi",
    "wlan": "wifi",
    "hotspot": "wifi",
    # mail
    "mail": "email",
    "emails": "email",
    "inbox": "email",
    "mailbox": "email",
    "outlook": "email",
    "gmail": "email",
    # signing in
    "signin": "login",
    "logon": "login",
    "logging": "log",
    # machines and devices
    "computer": "laptop",
    "pc": "laptop",
    "macbook": "laptop",
    "mac": "laptop",
    "workstation": "laptop",
    "notebook": "laptop",
    "mobile": "phone",
    "cell": "phone",
    "cellphone": "phone",
    "smartphone": "phone",
    "iphone": "phone",
    "android": "phone",
    "printer": "print",
    "printers": "print",
    "mic": "microphone",
    "webcam": "camera",
    "cam": "camera",
    "headphone": "headset",
    "headphones": "headset",
    "earbuds": "headset",
    "hdd": "disk",
    "ssd": "disk",
    "harddrive": "disk",
    # VPN clients
    "anyconnect": "vpn",
    "globalprotect": "vpn",
    "forticlient": "vpn",
    "openvpn": "vpn",
    "wireguard": "vpn",
    # symptoms
    "drop": "disconnect",
    "drops": "disconnect",
    "dropping": "disconnect",
    "dropped": "disconnect",
    "sluggish": "slow",
    "laggy": "slow",
    "lag": "slow",
    "lagging": "slow",
    "frozen": "freeze",
    "froze": "freeze",
    "hangs": "freeze",
    "lockout": "lock",
    # software and updates
    "application": "app",
    "applications": "app",
    "program": "app",
    "programs": "app",
    "software": "app",
    "installation": "install",
    "upgrade": "update",
    "patch": "update",
    "synch": "sync",
    "synchronize": "sync",
    "synchronise": "sync",
    "cert": "certificate",
    "certs": "certificate",
    "ssl": "certificate",
    "tls": "certificate",
    "chrome": "browser",
    "firefox": "browser",
    "safari": "browser",
    "recover": "restore",
    "recovery": "restore",
    "undelete": "restore",
    "acct": "account",
    "cal": "calendar",
    "notif": "notification",
    "notifs": "notification",
    "ooo": "outofoffice",
    "autoreply": "outofoffice",
}

# Word sequences that mean one thing; matched on stemmed words, before stopwords go.
PHRASE_SYNONYMS: dict[tuple[str, ...], str] = {
    ("wi", "fi"): "wifi",
    ("e", "mail"): "email",
    ("log", "in"): "login",
    ("log", "on"): "login",
    ("sign", "in"): "login",
    ("sign", "on"): "login",
    ("two", "factor"): "mfa",
    ("2", "factor"): "mfa",
    ("multi", "factor"): "mfa",
    ("two", "step"): "mfa",
    ("2", "step"): "mfa",
    ("out", "of", "office"): "outofoffice",
    ("auto", "reply"): "outofoffice",
    ("automatic", "reply"): "outofoffice",
    ("screen", "share"): "screenshare",
    ("hard", "drive"): "disk",
    ("pass", "word"): "password",
}
