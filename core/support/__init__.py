"""Customer service: FAQ knowledge bases, semantic retrieval, intent and sentiment, the answer-or-escalate
decision, logged questions with feedback, and ticket analytics. No streamlit here."""
