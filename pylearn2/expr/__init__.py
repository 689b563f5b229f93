"""Numerical expressions shared by models, costs and preprocessors."""
