"""Project-authored training data (no third-party text), used to build the shipped default models."""
