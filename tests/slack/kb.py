"""A small, readable knowledge base for the Slack tests: ten topics, four entries each."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.models import REQUIRED_TOPICS
from knowledge.sources import SEED_TITLES

VOCAB: dict[str, tuple[str, ...]] = {
    "communication": ("announce the change", "newsletter for staff", "town hall meeting",
                      "key messages", "intranet post", "rumours spreading", "email to all staff",
                      "explain why we change", "message from the director", "briefing pack",
                      "talking points", "comms plan"),
    "stakeholder-engagement": ("unions object", "staff resist the new system", "push back from "
                               "managers", "stakeholder map", "resistance to change",
                               "sceptical middle managers", "get buy-in", "opposition from "
                               "councillors", "people refuse to use it", "win over critics",
                               "engage the sceptics", "cynical staff"),
    "leadership-change": ("executive sponsor left", "senior leaders disagree", "new chief "
                          "executive", "leadership team not aligned", "director blocks us",
                          "sponsor lost interest", "board wants results", "minister changed",
                          "leaders model behaviour", "top team commitment", "champion at the top",
                          "management support"),
    "security-privacy": ("personal data", "data protection impact assessment", "security "
                         "accreditation", "privacy notice", "GDPR worries", "cyber risk",
                         "penetration test", "information governance board", "citizen records",
                         "access controls", "data sharing agreement", "security clearance"),
    "pilots-rollout": ("run a pilot", "choose the first site", "phased rollout", "go live date",
                       "scale up after the pilot", "trial with one team", "big bang launch",
                       "rollout plan", "early adopters", "pilot failed", "next wave of offices",
                       "cutover weekend"),
    "training-skills": ("train the staff", "digital skills gap", "e-learning course",
                        "train the trainer", "staff lack confidence with computers",
                        "user guides", "skills assessment", "coaching sessions",
                        "floor walkers", "learning budget", "older staff struggle",
                        "upskilling programme"),
    "citizen-design": ("user research with citizens", "service design", "accessibility for "
                       "residents", "citizens complain about the form", "prototype with users",
                       "plain language", "usability testing", "assisted digital",
                       "journey mapping", "citizen feedback", "online form abandonment",
                       "design for everyone"),
    "legacy-integration": ("old mainframe", "legacy database", "integrate with the old system",
                           "data migration", "APIs to the back office", "decommission the old "
                           "system", "supplier lock-in", "interfaces break", "spreadsheets "
                           "instead of the system", "duplicate data entry", "technical debt",
                           "vendor contract"),
    "measurement": ("measure success", "benefits realisation", "KPIs for the project",
                    "dashboard of adoption", "baseline before the change", "show value to the "
                    "board", "usage metrics", "evaluate the outcome", "track savings",
                    "performance indicators", "survey results", "cost benefit figures"),
    "strategy-governance": ("digital strategy", "business case", "governance board",
                            "programme roadmap", "funding approval", "priorities compete",
                            "portfolio of projects", "steering committee", "target operating "
                            "model", "spend controls", "procurement rules", "strategic plan"),
}
TEMPLATES = ("how do we handle {a} and {b}", "we need help with {a}", "{a} is a problem for us",
             "what should I do about {a} when {b}", "our department struggles with {a}",
             "advice on {a} please", "{a}: where do we start", "{b} and {a} at the same time")
OUT_OF_SCOPE = [f"{a} {b}" for a in ("where is the", "I lost the", "who fixes the", "book the",
                                     "can you order the", "is there a")
                for b in ("printer", "coffee machine", "car park", "meeting room", "lunch menu",
                          "holiday rota", "payslip", "laptop charger", "fire alarm test",
                          "football score")]


def write_test_kb(root: Path) -> Path:
    """Write the knowledge base into `root` (created) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    seed_file, seed_title = next(iter(SEED_TITLES.items()))
    for topic in REQUIRED_TOPICS:
        vocab = VOCAB[topic]
        entries = []
        for e in range(4):
            own = vocab[e * 3:(e + 1) * 3]
            situations = [t.format(a=own[i % 3], b=vocab[(e * 3 + i + 3) % len(vocab)])
                          for i, t in enumerate(TEMPLATES)]
            entries.append({
                "id": f"{topic}-{e}",
                "title": f"{topic.replace('-', ' ').capitalize()} strategy {e}",
                "summary": f"Deal with {own[0]} deliberately. Start small & learn fast.",
                "situations": situations,
                "actions": [f"Name an owner for {own[0]}.", f"Write down what {own[1]} means.",
                            f"Review {own[2]} with the team after two weeks."],
                "sources": [{"title": seed_title, "file": seed_file}],
                "owner": "Test team",
                "last_reviewed": "2026-10-01",
                "review_every_days": 365,
            })
        body = {"id": topic, "title": topic.replace("-", " ").capitalize(),
                "description": f"Everything about {topic.replace('-', ' ')}.", "entries": entries}
        (root / f"{topic}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    (root / "_out_of_scope.yaml").write_text(yaml.safe_dump({"examples": OUT_OF_SCOPE}))
    return root
