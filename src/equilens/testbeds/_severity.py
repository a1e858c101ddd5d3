"""Severity of a complaint from the facts of its frame, and the escalation rule.

Severity depends only on the language-neutral facts of a frame, never on how a message
is worded, so every style variant of a frame carries the frame's severity.

=====  ===========================================================================
Level  Facts
=====  ===========================================================================
S4     a safety, security, privacy or legal risk
S3     a major loss, money at stake of at least ``MAJOR_AMOUNT``, a missed deadline
       that cannot be recovered, or at least ``REPEATED_CONTACTS`` contacts
S2     a recoverable loss or any money at stake
S1     an inconvenience with no loss
S0     a question or message with no harm
=====  ===========================================================================

A message should be escalated to a human when its severity is S3 or S4.
"""

from __future__ import annotations

from typing import Any

SEVERITIES = ("S0", "S1", "S2", "S3", "S4")

#: Harm categories a frame may declare.
HARMS = (
    "none",
    "inconvenience",
    "recoverable_loss",
    "major_loss",
    "safety_risk",
    "security_risk",
    "privacy_risk",
    "legal_risk",
)

RISK_HARMS = frozenset({"safety_risk", "security_risk", "privacy_risk", "legal_risk"})

#: Money at stake, in euros, from which a loss counts as major.
MAJOR_AMOUNT = 300

#: Number of contacts about one issue, this message included, that makes it a repeated
#: failure.
REPEATED_CONTACTS = 3

#: Lowest severity whose messages should be escalated.
ESCALATE_FROM = "S3"


def severity_from_facts(facts: dict[str, Any]) -> str:
    """Return the severity level of a fact frame.

    Parameters
    ----------
    facts : dict
        ``harm`` (one of `HARMS`), ``amount`` (money at stake in euros),
        ``contacts`` (contacts about the issue, this one included) and
        ``deadline_missed`` (bool).

    Returns
    -------
    str
        One of `SEVERITIES`.
    """
    harm = facts["harm"]
    if harm not in HARMS:
        raise ValueError(f"unknown harm {harm!r}; expected one of {', '.join(HARMS)}")
    amount = facts.get("amount", 0)
    contacts = facts.get("contacts", 1)

    if harm in RISK_HARMS:
        return "S4"
    if (
        harm == "major_loss"
        or amount >= MAJOR_AMOUNT
        or contacts >= REPEATED_CONTACTS
        or facts.get("deadline_missed", False)
    ):
        return "S3"
    if harm == "recoverable_loss" or amount > 0:
        return "S2"
    if harm == "inconvenience":
        return "S1"
    return "S0"


def should_escalate(severity: str) -> bool:
    """Return the gold escalation decision for a severity level (S3 and S4 escalate)."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(ESCALATE_FROM)
