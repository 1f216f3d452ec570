"""Generic text models: one featurizer, a topic classifier, a decision policy that can
abstain, an entry ranker, and evaluation. `classifiers.matcher.Matcher` puts them together.

Knows nothing of Slack; fit on (text, label) pairs, predict ranked labels.
"""
