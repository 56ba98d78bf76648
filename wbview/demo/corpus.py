"""A synthetic phishing/ham message corpus, generated in code from a seed.

The corpus is built to be hard in the ways real ones are: legitimate notifications
that sound alarming, phishing that sounds routine, look-alike domains drawn from a
large procedural pool (so a model cannot memorise them), short and long texts,
emoji, Spanish/German/French messages, a few HTML/script payloads that a dashboard
must show as text, near-duplicates, and label noise concentrated on the subtle
phishing an annotator misses. Every value comes from ``random.Random(seed)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LABELS = ("ham", "phishing")

# Annotators miss this share of routine-sounding phishing: labelled "ham" in the data.
SUBTLE_PHISHING_MISSED_SHARE = 0.06
# Uniform label flips on top of that, in both directions.
UNIFORM_FLIP_SHARE = 0.006

FIRST_NAMES = (
    "Anna", "Ben", "Carlos", "Dana", "Elif", "Farah", "Grace", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
    "Uma", "Victor", "Wei", "Yara", "Zoe", "Mark", "Julia", "Pierre", "Lucia", "Klaus",
)
BRANDS = (
    "paypal", "microsoft", "apple", "amazon", "netflix", "google", "dhl", "ups", "fedex",
    "chase", "wellsfargo", "dropbox", "docusign", "linkedin", "instagram", "coinbase",
    "bbva", "santander", "sparkasse", "laposte", "office365", "adobe", "spotify", "usps",
)
LEGIT_DOMAINS = (
    "paypal.com", "account.microsoft.com", "appleid.apple.com", "amazon.com", "netflix.com",
    "accounts.google.com", "dhl.com", "ups.com", "fedex.com", "chase.com", "dropbox.com",
    "docusign.net", "linkedin.com", "github.com", "slack.com", "zoom.us", "atlassian.net",
    "console.aws.amazon.com", "bbva.es", "sparkasse.de", "laposte.fr", "usps.com",
)
LOOKALIKE_SUFFIXES = (
    "-support", "-secure", "-verify", "-login", "-account", "-billing", "-help",
    "-update", "-service", "-online", "-alert", "-center", "",
)
LOOKALIKE_TLDS = (".com", ".net", ".info", ".xyz", ".top", ".co", ".support", ".online", ".app", ".io")
# Homoglyph swaps an attacker uses: paypal -> paypa1, microsoft -> micros0ft, rn -> m.
HOMOGLYPHS = (("l", "1"), ("o", "0"), ("i", "1"), ("m", "rn"), ("e", "3"), ("a", "4"), ("s", "5"))
PATH_WORDS = ("verify", "login", "secure", "account", "update", "billing", "track", "invoice", "doc", "auth", "session")

EMOJI = ("🙂", "👍", "🎉", "📦", "⚠️", "🔒", "💳", "✅", "🚨", "👉", "😊", "🙏", "📅", "💰", "🎁")

# Payloads a dashboard must render as inert text.
HTML_PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(document.cookie)">Open secure message</a>',
    "<iframe src=\"http://{lookalike}/frame\" style=\"display:none\"></iframe>",
    "<svg onload=alert('xss')>",
    "<b>Important:</b> <font color=red>action required</font>",
)

# --- ham: routine -------------------------------------------------------------
HAM_ROUTINE = (
    "Hi {name}, are we still on for lunch {day}? I can do 12:30.",
    "Meeting notes from {day}: we agreed to ship the {project} release next sprint. Action items are in the doc.",
    "Your order #{order} has shipped and should arrive {day}. Track it at https://{legit}/track/{order}",
    "Thanks for your payment of ${amount}. Your receipt is attached. No action is needed.",
    "{name} commented on your pull request #{small}: looks good, just one nit about naming.",
    "Reminder: team standup moved to {time} tomorrow. Same room.",
    "Your monthly statement for {month} is ready to view in the app.",
    "Can you send me the slides from {day}'s review? Want to reuse the chart.",
    "The build for {project} passed on main. {small} tests, 0 failures.",
    "Your verification code is {code}. It expires in 10 minutes. Never share this code with anyone.",
    "Happy birthday {name}! Hope you have a great day {emoji}",
    "Invoice {order} from {company} for ${amount} is attached. Payment terms: 30 days.",
    "Your subscription renews on {date}. You can manage it in your account settings at https://{legit}",
    "Dinner at mine on {day}? {name} is bringing dessert {emoji}",
    "Calendar invite: {project} planning, {day} {time}, video link in the invite.",
    "ok thanks",
    "See you soon {emoji}",
    "lol yes",
    "Running 5 min late, sorry!",
    "The {project} dashboard is back up after the maintenance window.",
)
# --- ham: legitimate but alarming -------------------------------------------------
HAM_ALARMING = (
    "Security alert: a new sign-in to your account from {device} in {city}. If this was you, no action is needed. If not, review activity at https://{legit}/security",
    "Your password was changed on {date}. If you did not make this change, contact support through https://{legit}.",
    "Payment failed: we could not charge your card ending {small4} for ${amount}. Update your billing details at https://{legit}/billing to avoid interruption.",
    "Unusual activity detected. We blocked a sign-in attempt to your account. Your account is safe; you can review it in the app.",
    "URGENT: production database CPU at 98% for 15 minutes. On-call please check the {project} runbook.",
    "Your account will be closed on {date} due to inactivity unless you sign in. Sign in at https://{legit}",
    "FINAL NOTICE: your library books are overdue. Please return them by {day} to avoid a fine of ${small}.",
    "We could not deliver your package today. We will try again {day}, or reschedule at https://{legit}/reschedule",
    "Action required: confirm your email address to keep using {company}. This link expires in 24 hours: https://{legit}/confirm",
    "Fraud alert from {company}: did you attempt a purchase of ${amount} at {shop}? Reply YES or NO. We will never ask for your PIN.",
    "Your two-factor authentication was disabled on {date}. If this was not you, re-enable it at https://{legit}/2fa immediately.",
    "ALERT: your storage is 95% full. Files will stop syncing until you free up space or upgrade.",
)
# --- phishing: obvious ---------------------------------------------------------
PHISH_OBVIOUS = (
    "URGENT!!! Your {brand} account has been SUSPENDED. Verify your identity now at http://{lookalike}/{path} or lose access permanently!",
    "Congratulations {emoji} You have WON a ${big} gift card! Claim now: http://{lookalike}/{path} {emoji}",
    "Dear customer, we detected unauthorized login. Confirm your password and card number at http://{lookalike}/{path} within 24 hours.",
    "Your {brand} payment was declined. Re-enter your credit card details here http://{lookalike}/{path} to avoid account termination",
    "FINAL WARNING: unpaid toll of ${small}. Pay immediately at http://{lookalike}/{path} or face legal action.",
    "You have (3) pending messages from {brand} Security. Login to read: http://{lookalike}/{path}",
    "{emoji} Crypto giveaway! Send 0.1 BTC and receive 1 BTC back. Limited time: http://{lookalike}",
    "Your mailbox is full. Click here to increase quota or your emails will be deleted: http://{lookalike}/{path}",
)
# --- phishing: sounds routine (the hard ones) -------------------------------------
PHISH_ROUTINE = (
    "Hi {name}, please find the invoice for {month} attached. Let me know if you have any questions. https://{lookalike}/{path}/{order}",
    "Your order #{order} has shipped. Track it at https://{lookalike}/track/{order}",
    "Your package could not be delivered. A redelivery fee of ${small}.99 applies. Reschedule at https://{lookalike}/{path}",
    "{name} shared a document with you: {project} budget {month}.xlsx. Open in https://{lookalike}/{path}",
    "Hey, it's {name} from finance. Are you at your desk? I need a quick favour, can you buy {small} gift cards for a client meeting? I'll reimburse you today.",
    "Your subscription renews on {date}. Review your plan at https://{lookalike}/{path}",
    "Reminder: your {brand} storage plan renews tomorrow. Manage billing at https://{lookalike}/billing",
    "Thanks for your payment of ${amount}. View your receipt at https://{lookalike}/{path}/{order}",
    "Calendar invite: {project} sync, {day} {time}. Join with your work account: https://{lookalike}/{path}",
    "Hi {name}, HR updated the holiday policy for {month}. Please sign to acknowledge: https://{lookalike}/{path}",
    "Your verification code is {code}. If you did not request it, cancel the request at https://{lookalike}/{path}",
    "New voicemail (0:{small2}) from {phone}. Listen: https://{lookalike}/{path}",
    "Your order #{order} has shipped and should arrive {day}. Track it at https://{quiet}/track/{order}",
    "Your monthly statement for {month} is ready to view at https://{quiet}",
    "Hi {name}, can you send me the slides from {day}'s review? Upload them here: https://{quiet}/share",
    "Thanks for your payment of ${amount}. Your receipt is attached. Questions? https://{quiet}",
    "Hi {name}, quick one: are you free? I need you to handle a small payment for me today, I'm stuck in meetings.",
    "{name} commented on your pull request #{small}: see the suggested fix at https://{quiet}/pr/{small}",
    "Hi {name}, the {project} contract needs your signature by {day}. I put it in the usual folder, link below. https://{quiet}/sign",
    "Can you approve the {company} invoice for ${amount} today? The vendor changed banks, new details attached.",
    "Lunch {day}? Also, can you send me the code you just got by text, I locked myself out of the shared account.",
)
# --- other languages -----------------------------------------------------------
HAM_OTHER = (
    ("es", "Hola {name}, ¿nos vemos mañana a las {time}? Llevo los documentos."),
    ("es", "Tu pedido #{order} ha sido enviado. Llegará el {day}."),
    ("de", "Hallo {name}, danke für das Treffen heute. Die Notizen schicke ich morgen."),
    ("de", "Ihre Bestellung #{order} wurde versandt. Sendungsverfolgung: https://{legit}/track/{order}"),
    ("fr", "Bonjour {name}, la réunion de {day} est déplacée à {time}. Bonne journée {emoji}"),
    ("fr", "Votre facture de {month} est disponible dans votre espace client."),
    ("de", "Sicherheitshinweis: neue Anmeldung von {device} in {city}. Wenn Sie das waren, ist nichts zu tun."),
    ("es", "Alerta de seguridad: se cambió tu contraseña el {date}. Si no fuiste tú, contacta con soporte en la app."),
)
PHISH_OTHER = (
    ("es", "Su cuenta {brand} ha sido bloqueada. Verifique sus datos en http://{lookalike}/{path} en 24 horas."),
    ("de", "Ihr Konto wurde gesperrt! Bestätigen Sie Ihre Identität sofort: http://{lookalike}/{path}"),
    ("fr", "Votre colis est en attente. Frais de livraison de {small},99 EUR à régler sur https://{lookalike}/{path}"),
    ("es", "Felicidades {emoji} ha ganado un premio de {big} EUR. Reclame aquí: http://{lookalike}/{path}"),
    ("de", "Ihre Rechnung für {month} ist verfügbar: https://{lookalike}/{path}/{order}"),
    ("fr", "Bonjour {name}, voici le document partagé: https://{lookalike}/{path}"),
)
# Long ham: newsletter-style text that pushes past the encoder's token budget.
NEWSLETTER_PARAGRAPHS = (
    "This week the {project} team shipped the new onboarding flow, cutting sign-up time by a third.",
    "Our quarterly all-hands is on {date}; bring questions for the leadership panel.",
    "Reminder that expense reports for {month} are due by the end of the week.",
    "The office will be closed on {day} for maintenance of the heating system.",
    "Welcome to our new colleagues {name} and {name2}, who join the data platform group.",
    "The engineering blog has a new post on how we reduced cloud costs by moving batch jobs.",
    "Security tip: we will never ask for your password by email. Report suspicious messages to the security team.",
    "The cafeteria menu now includes vegan options every day of the week.",
    "Volunteering day is coming up; sign-up sheets are on the intranet.",
    "Thanks to everyone who joined the hackathon; the winning project will be demoed on {day}.",
)

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "next week")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
CITIES = ("Berlin", "Madrid", "Lagos", "Toronto", "São Paulo", "Mumbai", "Paris", "Seoul", "Austin", "Warsaw")
DEVICES = ("Chrome on Windows", "Safari on iPhone", "Firefox on Linux", "Edge on Windows", "the Android app")
PROJECTS = ("Atlas", "Beacon", "Comet", "Delta", "Ember", "Falcon", "Gemini", "Harbor")
COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Supplies", "Wayne Logistics")
SHOPS = ("ElectroMart", "BestBuy", "Zalando", "Walmart", "MediaMarkt")


@dataclass(frozen=True)
class Message:
    """One message of the corpus: ``label`` is what the data says, ``true_label`` what it is."""

    id: str
    text: str
    label: str
    true_label: str
    category: str
    language: str  # ISO 639-1: en, es, de, fr


def lookalike_domain(rng: random.Random) -> str:
    """A look-alike of a brand's domain, e.g. paypa1.com or micros0ft-support.net."""
    brand = rng.choice(BRANDS)
    swaps = [pair for pair in HOMOGLYPHS if pair[0] in brand]
    if swaps and rng.random() < 0.75:
        old, new = rng.choice(swaps)
        position = rng.choice([i for i in range(len(brand)) if brand.startswith(old, i)])
        brand = brand[:position] + new + brand[position + len(old):]
    suffix = rng.choice(LOOKALIKE_SUFFIXES)
    host = f"{brand}{suffix}{rng.choice(LOOKALIKE_TLDS)}"
    if rng.random() < 0.3:
        host = f"{rng.choice(('secure', 'login', 'www', 'my', 'id'))}.{host}"
    return host


def quiet_lookalike_domain(rng: random.Random) -> str:
    """A look-alike with nothing loud about it: one homoglyph swap on a .com (arnazon.com)."""
    brand = rng.choice(BRANDS)
    old, new = rng.choice([pair for pair in HOMOGLYPHS if pair[0] in brand] or [("", "")])
    if old:
        position = rng.choice([i for i in range(len(brand)) if brand.startswith(old, i)])
        brand = brand[:position] + new + brand[position + len(old):]
    return f"{brand}.com"


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "name": rng.choice(FIRST_NAMES),
        "name2": rng.choice(FIRST_NAMES),
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}",
        "time": f"{rng.randint(8, 18)}:{rng.choice(('00', '15', '30', '45'))}",
        "order": f"{rng.randint(100000, 999999)}",
        "amount": f"{rng.randint(5, 2500)}.{rng.randint(0, 99):02d}",
        "small": f"{rng.randint(2, 9)}",
        "small2": f"{rng.randint(10, 59)}",
        "small4": f"{rng.randint(1000, 9999)}",
        "big": f"{rng.choice((500, 1000, 2500, 5000))}",
        "code": f"{rng.randint(100000, 999999)}",
        "phone": f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        "project": rng.choice(PROJECTS),
        "company": rng.choice(COMPANIES),
        "shop": rng.choice(SHOPS),
        "city": rng.choice(CITIES),
        "device": rng.choice(DEVICES),
        "brand": rng.choice(BRANDS).capitalize(),
        "legit": rng.choice(LEGIT_DOMAINS),
        "lookalike": lookalike_domain(rng),
        "quiet": quiet_lookalike_domain(rng),
        "path": rng.choice(PATH_WORDS),
        "emoji": rng.choice(EMOJI),
    }
    return template.format(**values)


def _fill_other_language(templates: tuple[tuple[str, str], ...], rng: random.Random) -> tuple[str, str]:
    """(text, ISO 639-1 language) from (language, template) pairs."""
    language, template = rng.choice(templates)
    return _fill(template, rng), language


def _newsletter(rng: random.Random) -> str:
    count = rng.randint(6, 14)
    paragraphs = [_fill(rng.choice(NEWSLETTER_PARAGRAPHS), rng) for _ in range(count)]
    return f"{rng.choice(COMPANIES)} weekly update\n\n" + "\n\n".join(paragraphs) + "\n\nUnsubscribe in your settings."


def _long_phishing(rng: random.Random) -> str:
    """A long, friendly newsletter with the lure only at the very end (head truncation cuts it)."""
    body = _newsletter(rng).rsplit("\n\n", 1)[0]
    lure = _fill(rng.choice(PHISH_ROUTINE), rng)
    return f"{body}\n\nOne last thing: {lure}"


# (category, label, language, weight, generator); "multi": the generator returns (text, language)
_CATEGORIES = (
    ("routine", "ham", "en", 0.62, lambda rng: _fill(rng.choice(HAM_ROUTINE), rng)),
    ("alarming-legit", "ham", "en", 0.2, lambda rng: _fill(rng.choice(HAM_ALARMING), rng)),
    ("newsletter", "ham", "en", 0.06, _newsletter),
    ("non-english", "ham", "multi", 0.08, lambda rng: _fill_other_language(HAM_OTHER, rng)),
    ("obvious", "phishing", "en", 0.15, lambda rng: _fill(rng.choice(PHISH_OBVIOUS), rng)),
    ("routine-phish", "phishing", "en", 0.13, lambda rng: _fill(rng.choice(PHISH_ROUTINE), rng)),
    ("long-phish", "phishing", "en", 0.03, _long_phishing),
    ("non-english-phish", "phishing", "multi", 0.05, lambda rng: _fill_other_language(PHISH_OTHER, rng)),
    ("html-payload", "phishing", "en", 0.02, None),
)


def _html_payload(rng: random.Random) -> str:
    payload = rng.choice(HTML_PAYLOADS).replace("{lookalike}", lookalike_domain(rng))
    lure = _fill(rng.choice(PHISH_OBVIOUS + PHISH_ROUTINE), rng)
    return f"{lure} {payload}" if rng.random() < 0.5 else f"{payload} {lure}"


def _decorate(text: str, rng: random.Random) -> str:
    """Surface noise real inboxes have: emoji, shouting, stray whitespace."""
    roll = rng.random()
    if roll < 0.08:
        text = f"{text} {rng.choice(EMOJI)}"
    elif roll < 0.11:
        text = text.upper()
    elif roll < 0.16:
        text = f"  {text.replace(' ', '  ', 2)}\n"
    return text


def _noisy_label(category: str, label: str, rng: random.Random) -> str:
    if category in ("routine-phish", "long-phish") and rng.random() < SUBTLE_PHISHING_MISSED_SHARE:
        return "ham"
    if rng.random() < UNIFORM_FLIP_SHARE:
        return "phishing" if label == "ham" else "ham"
    return label


def generate_corpus(n_messages: int, seed: int = 0) -> list[Message]:
    """``n_messages`` messages, the same list for the same seed, ids ``msg-000000``..."""
    if n_messages < 1:
        raise ValueError(f"n_messages must be at least 1, got {n_messages}.")
    rng = random.Random(seed)
    weights = [c[3] for c in _CATEGORIES]
    messages = []
    for index in range(n_messages):
        category, label, language, _, make = rng.choices(_CATEGORIES, weights=weights)[0]
        made = _html_payload(rng) if category == "html-payload" else make(rng)
        text, language = made if isinstance(made, tuple) else (made, language)
        text = _decorate(text, rng)
        messages.append(
            Message(
                id=f"msg-{index:06d}",
                text=text,
                label=_noisy_label(category, label, rng),
                true_label=label,
                category=category,
                language=language,
            )
        )
    return messages
