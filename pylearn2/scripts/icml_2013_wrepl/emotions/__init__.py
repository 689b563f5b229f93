"""The facial expression contest."""
