"""Transformation Advisor: the product that wires knowledge and classifiers into answers."""
