"""Suggested prompts for the messages tab and the agent view: one per common situation."""

from __future__ import annotations

from knowledge.models import KnowledgeBase

PROMPTS_TITLE = "What are you facing?"
MAX_PROMPTS = 4
PROMPT_TITLE_CHARS = 40
COMMON = ("stakeholder-engagement", "communication", "pilots-rollout", "training-skills")


def suggested_prompts(kb: KnowledgeBase) -> list[dict[str, str]]:
    """Up to four prompts: the first situation of the first entry of common topics."""
    order = [t for t in COMMON if t in kb.topics_by_id]
    order += [t.id for t in kb.topics if t.id not in order]
    prompts = []
    for topic_id in order[:MAX_PROMPTS]:
        topic = kb.topic(topic_id)
        if topic.entries and topic.entries[0].situations:
            prompts.append({"title": topic.title[:PROMPT_TITLE_CHARS],
                            "message": topic.entries[0].situations[0]})
    return prompts
