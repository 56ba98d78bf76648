"""Pure analysis on DataFrames: imports neither wandb nor streamlit."""
