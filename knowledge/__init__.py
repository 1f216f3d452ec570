"""The curated knowledge base: YAML topics and strategy entries, loaded into immutable objects.

Knows nothing of scikit-learn or Slack.
"""

from knowledge.errors import KnowledgeBaseError, Problem
from knowledge.loader import DEFAULT_KB_PATH, load_knowledge_base
from knowledge.models import REQUIRED_TOPICS, Entry, KnowledgeBase, Source, Topic

__all__ = [
    "DEFAULT_KB_PATH",
    "REQUIRED_TOPICS",
    "Entry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Problem",
    "Source",
    "Topic",
    "load_knowledge_base",
]
