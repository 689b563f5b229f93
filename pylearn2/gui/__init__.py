"""Pictures of weights and examples."""
