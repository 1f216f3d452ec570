"""Generic text models: a topic classifier that can abstain, an entry ranker, evaluation.

Knows nothing of Slack; fit on (text, label) pairs, predict ranked labels.
"""

from classifiers.topic import NONE_LABEL, Params, Prediction, TopicClassifier

__all__ = ["NONE_LABEL", "Params", "Prediction", "TopicClassifier"]
